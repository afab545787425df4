package httpapi

import (
	"strings"
	"testing"

	"github.com/muster-hub/muster"
)

func TestSplitFindings(t *testing.T) {
	got, err := splitFindings([]byte(` { "Other" : [1,{"a":"]"}], "Findings" : [ {"Id":"a"} ,
		{"Id" : "b", "X":[1, 2]} ] } `))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0]) != `{"Id":"a"}` || string(got[1]) != `{"Id" : "b", "X":[1, 2]}` {
		t.Fatalf("got %q", got)
	}
	for body, want := range map[string]string{
		`[]`:                              "must be a JSON object",
		`{"Findings":{}}`:                 "data.Findings should be array",
		`{"Findings":[{}]} x`:             "not valid JSON",
		`{"Findings":[{"a":1,"a":2}]}`:    "not valid JSON",
		`{"Findings":[],"Findings":[{}]}`: "not valid JSON",
		`{"Findings":[{"a":1}`:            "not valid JSON",
		"{\"Findings\":[\"\xff\"]}":       "not valid JSON",
	} {
		_, err := splitFindings([]byte(body))
		if muster.ErrorCode(err) != muster.InvalidInput || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
	if got, err := splitFindings([]byte(`{"Findings":null}`)); err != nil || len(got) != 0 {
		t.Errorf("null Findings: %v %v", got, err)
	}
}
