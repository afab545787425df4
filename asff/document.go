package asff

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
)

// Product is what the product catalog knows of a finding's ProductArn.
type Product struct {
	Name    string
	Company string
	// Default marks an account's own default product, whose findings may
	// name themselves: AWS keeps a ProductName/CompanyName the provider sent
	// and writes Default/Personal only into ProductFields.
	Default bool
}

// DefaultProduct is the catalog entry of every account's default product.
var DefaultProduct = Product{Name: "Default", Company: "Personal", Default: true}

// customerFields are the members that belong to the customer once a finding
// exists: a provider's re-import never changes them (only BatchUpdateFindings
// does), as the BatchImportFindings guide documents.
var customerFields = []string{"Note", "UserDefinedFields", "VerificationState", "Workflow", "WorkflowState"}

// providerMirrored are the members kept twice — top level for the customer's
// view and in FindingProviderFields for the provider's.
var providerMirrored = []string{"Confidence", "Criticality", "RelatedFindings", "Severity", "Types"}

// Import is a finding of a BatchImportFindings request, split once so that
// reading its key and completing it do not each parse it again.
type Import struct {
	d *object
}

// ParseImport splits a finding that passed Check.
func ParseImport(raw []byte) (*Import, error) {
	d, err := splitObject(raw)
	if err != nil {
		return nil, err
	}
	return &Import{d: d}, nil
}

// ID returns the finding's Id.
func (im *Import) ID() string { return im.d.str("Id") }

// ProductARN returns the finding's ProductArn.
func (im *Import) ProductARN() string { return im.d.str("ProductArn") }

// Account returns the finding's AwsAccountId.
func (im *Import) Account() string { return im.d.str("AwsAccountId") }

// Complete adds to the finding what Security Hub adds when it stores a new
// import: the hub's Region, ProcessedAt, the catalog's ProductName and
// CompanyName, the aws/securityhub/* ProductFields, default RecordState and
// Workflow, Severity Label and Normalized completed from each other, and
// FindingProviderFields mirrored with the top level.
func (im *Import) Complete(region string, p Product, processedAt time.Time) ([]byte, error) {
	if err := complete(im.d, region, p, processedAt); err != nil {
		return nil, err
	}
	return im.d.bytes(), nil
}

func complete(d *object, region string, p Product, processedAt time.Time) error {
	d.setString("Region", region)
	d.setString("ProcessedAt", FormatTime(processedAt))
	name, company := p.Name, p.Company
	if p.Default {
		if s := d.str("ProductName"); s != "" {
			name = s
		}
		if s := d.str("CompanyName"); s != "" {
			company = s
		}
	}
	d.setString("ProductName", name)
	d.setString("CompanyName", company)

	fields := d.object("ProductFields")
	fields.setString("aws/securityhub/FindingId", d.str("ProductArn")+"/"+d.str("Id"))
	fields.setString("aws/securityhub/ProductName", p.Name)
	fields.setString("aws/securityhub/CompanyName", p.Company)
	d.setObject("ProductFields", fields)

	if !d.has("RecordState") {
		d.setString("RecordState", "ACTIVE")
	}
	if wf := d.object("Workflow"); !wf.has("Status") {
		wf.setString("Status", "NEW")
		d.setObject("Workflow", wf)
	}
	if !d.has("WorkflowState") {
		d.setString("WorkflowState", "NEW")
	}
	return mirrorProviderFields(d)
}

// mirrorProviderFields fills FindingProviderFields from the top level and
// the top level from FindingProviderFields, as AWS does for a new finding:
// a value the provider sent in FindingProviderFields wins over the same
// attribute at the top level.
func mirrorProviderFields(d *object) error {
	fpf := d.object("FindingProviderFields")
	for _, name := range providerMirrored {
		pv := fpf.member(name)
		tv := d.member(name)
		switch {
		case pv != nil && name == "Severity":
			// FindingProviderFields.Severity has Label and Original only;
			// the top level also carries Normalized (and Product).
			top := d.object("Severity")
			prov := fpf.object("Severity")
			if prov.member("Label") != nil {
				// The provider's Label decides; Normalized follows it.
				top.delete("Normalized")
			}
			for _, k := range prov.names {
				if v := prov.member(k); v != nil {
					top.set(k, v)
				}
			}
			if err := completeSeverity(top); err != nil {
				return err
			}
			d.setObject("Severity", top)
			if prov.member("Label") == nil && top.member("Label") != nil {
				prov.set("Label", top.member("Label"))
				fpf.setObject("Severity", prov)
			}
		case pv != nil:
			d.set(name, pv)
		case tv != nil && name == "Severity":
			top := d.object("Severity")
			if err := completeSeverity(top); err != nil {
				return err
			}
			d.setObject("Severity", top)
			prov := &object{}
			for _, k := range []string{"Label", "Original"} {
				if v := top.member(k); v != nil {
					prov.set(k, v)
				}
			}
			fpf.setObject("Severity", prov)
		case tv != nil:
			fpf.set(name, tv)
		}
	}
	if fpf.len() > 0 {
		d.setObject("FindingProviderFields", fpf)
	}
	return nil
}

// completeSeverity derives Label from Normalized or Normalized from Label,
// whichever is missing, with the tables of the ASFF Severity documentation.
func completeSeverity(s *object) error {
	label := s.str("Label")
	norm := s.member("Normalized")
	switch {
	case label != "" && norm == nil:
		n, ok := labelNormalized[label]
		if !ok {
			return fmt.Errorf("Severity.Label %q", label)
		}
		s.set("Normalized", strconv.AppendInt(nil, int64(n), 10))
	case label == "" && norm != nil:
		n, err := strconv.ParseFloat(string(norm), 64)
		if err != nil {
			return fmt.Errorf("Severity.Normalized: %w", err)
		}
		s.setString("Label", NormalizedLabel(int(n)))
	}
	return nil
}

var labelNormalized = map[string]int{"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}

// NormalizedLabel maps a Severity.Normalized score to its Label.
func NormalizedLabel(n int) string {
	switch {
	case n >= 90:
		return "CRITICAL"
	case n >= 70:
		return "HIGH"
	case n >= 40:
		return "MEDIUM"
	case n >= 1:
		return "LOW"
	}
	return "INFORMATIONAL"
}

// ErrStale reports an import whose UpdatedAt is not later than the stored
// finding's: AWS ignores such an update.
var ErrStale = errors.New("finding is not newer than the stored one")

// Merge returns what to store when a provider re-imports a finding that
// exists: the document, the customized set to store with it and what
// changed. incoming must have been completed (Import.Complete), so its top
// level already mirrors its FindingProviderFields. The result is incoming,
// except that:
//
//   - the customer's fields keep their stored values, though a Note set with
//     the deprecated UpdateFindings (LegacyNote) gives way to the provider's;
//   - an attribute the customer took over with BatchUpdateFindings keeps its
//     stored top-level value, while its FindingProviderFields copy follows
//     the provider — how AWS lets both parties keep their own view;
//   - a NOTIFIED or RESOLVED workflow goes back to NEW when the provider
//     reopens the finding.
//
// It returns ErrStale when incoming is not newer than stored.
func Merge(stored, incoming []byte, c Customized) (Merged, error) {
	s, err := splitObject(stored)
	if err != nil {
		return Merged{}, err
	}
	in, err := splitObject(incoming)
	if err != nil {
		return Merged{}, err
	}
	su, err1 := ParseTime(s.str("UpdatedAt"))
	iu, err2 := ParseTime(in.str("UpdatedAt"))
	if err1 == nil && err2 == nil && !iu.After(su) {
		return Merged{}, ErrStale
	}
	for _, name := range customerFields {
		if name == "Note" && c&LegacyNote != 0 {
			// AWS documents that an UpdateFindings note does not survive
			// the provider's next import; an absent incoming Note removes it.
			if in.member(name) == nil {
				in.delete(name)
			}
			continue
		}
		keep(in, s, name)
	}
	c &^= LegacyNote
	for _, name := range providerMirrored {
		if c&customBit(name) != 0 {
			keep(in, s, name)
		}
	}
	if reopened(s, in) {
		reopen(in)
	}
	// Diffing the split documents rather than the bytes spares splitting
	// both again: nearly half the CPU time of merging a re-import.
	return Merged{Doc: in.bytes(), Customized: c, Updates: diffSorted(s, in)}, nil
}

// Merged is what Merge returns: what to store for a re-imported finding
// and what its history record says changed.
type Merged struct {
	Doc        []byte
	Customized Customized
	// Updates are what the re-import changed, as Diff(stored, Doc) gives
	// them: the Updates of its history record.
	Updates []FieldUpdate
}

// customBit is the Customized bit of a providerMirrored attribute.
func customBit(name string) Customized {
	switch name {
	case "Confidence":
		return CustomConfidence
	case "Criticality":
		return CustomCriticality
	case "RelatedFindings":
		return CustomRelatedFindings
	case "Severity":
		return CustomSeverity
	case "Types":
		return CustomTypes
	}
	return 0
}

// keep gives dst the value of member name in src, removing it when src has
// none: an owner's absent value must stay absent rather than let the other
// party's value in.
func keep(dst, src *object, name string) {
	if v := src.member(name); v != nil {
		dst.set(name, v)
	} else {
		dst.delete(name)
	}
}

// reopened reports the provider changes after which AWS sets a NOTIFIED or
// RESOLVED finding back to NEW: RecordState from ARCHIVED to ACTIVE, or
// Compliance.Status from PASSED to FAILED, WARNING or NOT_AVAILABLE.
func reopened(old, cur *object) bool {
	if old.str("RecordState") == "ARCHIVED" && cur.str("RecordState") == "ACTIVE" {
		return true
	}
	oc, cc := old.object("Compliance").str("Status"), cur.object("Compliance").str("Status")
	return oc == "PASSED" && (cc == "FAILED" || cc == "WARNING" || cc == "NOT_AVAILABLE")
}

// reopen sets a NOTIFIED or RESOLVED workflow back to NEW.
func reopen(d *object) {
	wf := d.object("Workflow")
	if st := wf.str("Status"); st == "NOTIFIED" || st == "RESOLVED" {
		wf.setString("Status", "NEW")
		d.setObject("Workflow", wf)
		d.setString("WorkflowState", "NEW")
	}
}

// Fields decodes a stored finding for the filter engine.
func Fields(doc []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	return m, nil
}
