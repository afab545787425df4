package model

import "testing"

func TestTables(t *testing.T) {
	if n := len(Operations()); n < 100 {
		t.Fatalf("only %d operations", n)
	}
	op := LookupOperation("BatchImportFindings")
	if op == nil || op.Method != "POST" || op.Path != "/findings/import" {
		t.Fatalf("BatchImportFindings = %+v", op)
	}
	f := Lookup("AwsSecurityFinding")
	id := f.Member("Id")
	if !id.Required || id.Min != 1 || id.Max != 512 {
		t.Fatalf("AwsSecurityFinding.Id = %+v", id)
	}
	if r := f.Member("Resources"); r.Min != 1 || r.Max != 32 {
		t.Fatalf("Resources = %+v", r)
	}
	if s := Lookup("RatioScale"); !s.HasMin || s.Min != 0 || s.Max != 100 {
		t.Fatalf("RatioScale = %+v", s)
	}
	if filters := Lookup("AwsSecurityFindingFilters"); len(filters.Members) != 104 {
		t.Fatalf("AwsSecurityFindingFilters has %d members", len(filters.Members))
	}
	if e := Lookup("InvalidAccessException"); !e.Exception || e.HTTPStatus != 401 {
		t.Fatalf("InvalidAccessException = %+v", e)
	}
}
