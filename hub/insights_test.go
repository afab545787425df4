package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
)

// TestManagedInsights checks the library: the 32 insights of the user
// guide, each with a distinct ARN, filters that parse, a group-by
// attribute findings can be grouped by, and the filters every one but 26
// shares.
func TestManagedInsights(t *testing.T) {
	if len(managedInsights) != 32 {
		t.Errorf("%d managed insights, want the guide's 32", len(managedInsights))
	}
	seen := map[string]bool{}
	for i := range managedInsights {
		m := &managedInsights[i]
		arn := m.arn()
		if seen[arn] {
			t.Errorf("%s twice", arn)
		}
		seen[arn] = true
		if lookupManaged(arn) != m {
			t.Errorf("lookupManaged(%s) does not find it", arn)
		}
		if m.name == "" || !filter.LookupField(m.groupBy).Groupable() {
			t.Errorf("%s: name %q, group-by %q", arn, m.name, m.groupBy)
		}
		f, err := filter.Parse([]byte(m.filters), time.Now())
		if err != nil {
			t.Errorf("%s: filters %s: %v", arn, m.filters, err)
			continue
		}
		common := strings.Contains(m.filters, `"RecordState":[{"Comparison":"EQUALS","Value":"ACTIVE"}]`) &&
			strings.Contains(m.filters, `"WorkflowStatus":[{"Comparison":"EQUALS","Value":"NEW"},{"Comparison":"EQUALS","Value":"NOTIFIED"}]`)
		if common != (m.n != 26) {
			t.Errorf("%s: RecordState/WorkflowStatus filters present: %v; filters %s", arn, common, m.filters)
		}
		if len(f.Conds) == 0 && m.n != 26 {
			t.Errorf("%s: no conditions", arn)
		}
	}
	for _, arn := range []string{
		"arn:aws:securityhub:::insight/securityhub/default/2",
		"arn:aws:securityhub:::insight/securityhub/default/01",
		"arn:aws:securityhub:::insight/securityhub/default/",
		"arn:aws:securityhub:us-east-1::insight/securityhub/default/1",
	} {
		if lookupManaged(arn) != nil {
			t.Errorf("lookupManaged(%s) found an insight", arn)
		}
	}
	if !strings.Contains(managedInsights[0].filters, `"RecordState"`) || managedInsights[0].arn() != "arn:aws:securityhub:::insight/securityhub/default/1" {
		t.Errorf("first managed insight: %+v", managedInsights[0])
	}
}

func TestCheckInsightARN(t *testing.T) {
	for arn, ok := range map[string]bool{
		"arn:aws:securityhub:us-east-1:111111111111:insight/111111111111/custom/x": true,
		"arn:aws:securityhub:::insight/securityhub/default/1":                      true,
		"arn:aws:securityhub:us-east-1:111111111111:hub/default":                   false,
		"insight/111111111111/custom/x":                                            false,
		"":                                                                         false,
	} {
		if err := checkInsightARN(arn); (err == nil) != ok {
			t.Errorf("checkInsightARN(%q) = %v", arn, err)
		}
	}
	if u := muster.NewUUID(); len(u) != 36 || u[14] != '4' {
		t.Errorf("muster.NewUUID() = %q", u)
	}
}
