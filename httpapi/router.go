package httpapi

import (
	"net/url"
	"strings"

	"github.com/muster-hub/muster/model"
)

// router matches requests to the operations of the API model. It is the one
// place that knows the route table, and that table comes from the model, so
// every operation AWS defines has a route — built or not.
//
// It matches on the raw (still escaped) path: greedy labels such as
// {InsightArn+} carry ARNs with literal slashes, while the non-greedy
// {ResourceArn} of the tag operations arrives with %2F, and a router that
// decoded first could not tell the two apart.
type router struct {
	routes []route
}

type route struct {
	op   *model.Operation
	segs []segment
	// literals counts literal segments: the route with more wins, so that
	// /insights/get beats /insights/{InsightArn+}.
	literals int
}

type segment struct {
	literal string
	label   string
	greedy  bool
}

func newRouter(ops []model.Operation) *router {
	rt := &router{}
	for i := range ops {
		op := &ops[i]
		r := route{op: op}
		for _, s := range strings.Split(strings.Trim(op.Path, "/"), "/") {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "+}"):
				r.segs = append(r.segs, segment{label: s[1 : len(s)-2], greedy: true})
			case strings.HasPrefix(s, "{"):
				r.segs = append(r.segs, segment{label: s[1 : len(s)-1]})
			default:
				r.segs = append(r.segs, segment{literal: s})
				r.literals++
			}
		}
		rt.routes = append(rt.routes, r)
	}
	return rt
}

// match returns the operation for method and escaped path with its decoded
// path labels. When the path exists only for other methods, it returns nil
// and pathKnown true.
func (rt *router) match(method, escapedPath string) (op *model.Operation, labels map[string]string, pathKnown bool) {
	parts := strings.Split(strings.Trim(escapedPath, "/"), "/")
	var best *route
	var bestLabels map[string]string
	for i := range rt.routes {
		r := &rt.routes[i]
		l, ok := r.match(parts)
		if !ok {
			continue
		}
		pathKnown = true
		if r.op.Method != method {
			continue
		}
		if best == nil || r.literals > best.literals || (r.literals == best.literals && len(r.segs) > len(best.segs)) {
			best, bestLabels = r, l
		}
	}
	if best == nil {
		return nil, nil, pathKnown
	}
	return best.op, bestLabels, true
}

func (r *route) match(parts []string) (map[string]string, bool) {
	var labels map[string]string
	for i, s := range r.segs {
		if i >= len(parts) {
			return nil, false
		}
		if s.greedy {
			v, err := url.PathUnescape(strings.Join(parts[i:], "/"))
			if err != nil || v == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[s.label] = v
			return labels, true
		}
		if s.label != "" {
			v, err := url.PathUnescape(parts[i])
			if err != nil || v == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[s.label] = v
			continue
		}
		if parts[i] != s.literal {
			return nil, false
		}
	}
	return labels, len(parts) == len(r.segs)
}
