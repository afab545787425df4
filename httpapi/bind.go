package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/model"
)

// bind gathers an operation's input from wherever the model puts each
// member — path labels, query string, headers and the JSON body — into one
// JSON object shaped like the input shape, so that one validator checks
// every member against the model and handlers decode one value.
func bind(op *model.Operation, r *http.Request, labels map[string]string, body []byte) (jsontext.Value, error) {
	in := map[string]jsontext.Value{}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &in); err != nil || in == nil {
			msg := "null"
			if err != nil {
				msg = jsonError(err)
			}
			return nil, muster.Errorf(muster.InvalidInput, "The request body is not a valid JSON object: %s", msg)
		}
	}
	if op.Input < 0 {
		return jsontext.Value("{}"), nil
	}
	shape := model.ShapeAt(op.Input)
	query := r.URL.Query()
	for _, m := range shape.Members {
		var raw []string
		switch m.Location {
		case "uri":
			if v, ok := labels[m.LocationName]; ok {
				raw = []string{v}
			}
		case "querystring":
			raw = query[m.LocationName]
		case "header":
			raw = r.Header.Values(m.LocationName)
		default:
			continue
		}
		if len(raw) == 0 {
			continue
		}
		v, err := scalar(model.ShapeAt(m.Shape), raw)
		if err != nil {
			return nil, muster.Errorf(muster.InvalidInput, "%s: %v", m.Name, err)
		}
		in[m.Name] = v
	}
	out, err := json.Marshal(in, json.Deterministic(true))
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scalar converts the text of a path label, query parameter or header to
// the JSON value of its shape: repeated query parameters make a list.
func scalar(s *model.Shape, raw []string) (jsontext.Value, error) {
	if s.Kind == model.List {
		elem := model.ShapeAt(s.Elem)
		items := make([]jsontext.Value, 0, len(raw))
		for _, r := range raw {
			v, err := scalar(elem, []string{r})
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return json.Marshal(items)
	}
	v := raw[0]
	switch s.Kind {
	case model.Integer, model.Long:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, errorString("should be integer")
		}
		return json.Marshal(n)
	case model.Double, model.Float:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, errorString("should be number")
		}
		return json.Marshal(f)
	case model.Boolean:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errorString("should be boolean")
		}
		return json.Marshal(b)
	}
	return json.Marshal(v)
}

type errorString string

func (e errorString) Error() string { return string(e) }

// jsonError shortens the JSON decoder's error to what a caller can act on.
func jsonError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
