package asff

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster/model"
)

// Customized is the set of a finding's attributes that the customer has
// taken over. A provider's re-import leaves a customized attribute's
// top-level value alone and changes only its FindingProviderFields copy.
type Customized uint8

// The attributes a customer can take over with BatchUpdateFindings.
const (
	CustomConfidence Customized = 1 << iota
	CustomCriticality
	CustomRelatedFindings
	CustomSeverity
	CustomTypes
	// LegacyNote marks a Note set with the deprecated UpdateFindings,
	// which AWS does not keep past the provider's next import: the
	// provider's Note (or none) replaces it.
	LegacyNote
)

// FieldUpdate is one changed field of a finding history record: the ASFF
// path of the field and its values before and after, as
// FindingHistoryUpdate carries them. An absent value is "".
type FieldUpdate struct {
	Field    string
	Old, New string
}

// NoteUpdate is the Note of BatchUpdateFindings and UpdateFindings.
type NoteUpdate struct {
	Text      string
	UpdatedBy string
}

// SeverityUpdate is the Severity of BatchUpdateFindings; nil members are
// absent.
type SeverityUpdate struct {
	Label      *string
	Normalized *int
	Product    *float64
}

// RelatedFinding identifies a finding related to another.
type RelatedFinding struct {
	ProductArn string
	Id         string
}

// WorkflowUpdate is the Workflow of BatchUpdateFindings.
type WorkflowUpdate struct {
	Status string
}

// BatchUpdate is the change a BatchUpdateFindings request makes to each of
// its findings. Nil members are absent and leave the finding's value alone.
type BatchUpdate struct {
	Note              *NoteUpdate
	Severity          *SeverityUpdate
	VerificationState *string
	Confidence        *int
	Criticality       *int
	Types             []string
	UserDefinedFields map[string]string
	Workflow          *WorkflowUpdate
	RelatedFindings   []RelatedFinding
}

// Applied is a finding as one BatchUpdateFindings call leaves it.
type Applied struct {
	Doc        []byte
	Customized Customized
	// Updates are the fields that changed, as Diff(old, Doc) gives them.
	Updates []FieldUpdate

	obj *object // Doc split
	// set are the members Apply set: with the stored members valid, the
	// only ones Check need look at besides those of the severity and
	// types rule.
	set []string
}

// Apply returns what BatchUpdateFindings makes of the stored finding doc,
// and its customized set after the update. It changes only top-level
// members — FindingProviderFields stays the provider's — and sets
// ProcessedAt to now but leaves UpdatedAt alone, since UpdatedAt is the
// provider's clock that the next import is compared with.
//
// Updates are worked out from the members Apply set, against the split
// stored document, rather than by Diff parsing both documents again.
func (u *BatchUpdate) Apply(doc []byte, c Customized, now time.Time) (Applied, error) {
	d, err := splitObject(doc)
	if err != nil {
		return Applied{}, err
	}
	old := &object{names: slices.Clone(d.names), vals: slices.Clone(d.vals)}
	a := Applied{obj: d}
	mark := func(names ...string) { a.set = append(a.set, names...) }
	if u.Note != nil {
		setNote(d, u.Note, now)
		c &^= LegacyNote
		mark("Note")
	}
	if u.Severity != nil {
		if err := u.Severity.apply(d); err != nil {
			return Applied{}, err
		}
		c |= CustomSeverity
		mark("Severity")
	}
	if u.VerificationState != nil {
		d.setString("VerificationState", *u.VerificationState)
		mark("VerificationState")
	}
	if u.Confidence != nil {
		d.set("Confidence", strconv.AppendInt(nil, int64(*u.Confidence), 10))
		c |= CustomConfidence
		mark("Confidence")
	}
	if u.Criticality != nil {
		d.set("Criticality", strconv.AppendInt(nil, int64(*u.Criticality), 10))
		c |= CustomCriticality
		mark("Criticality")
	}
	// A nil slice is an absent member, an empty one a request to clear it.
	if u.Types != nil {
		b, err := json.Marshal(u.Types, lenient)
		if err != nil {
			return Applied{}, err
		}
		d.set("Types", b)
		c |= CustomTypes
		mark("Types")
	}
	if u.RelatedFindings != nil {
		b, err := json.Marshal(u.RelatedFindings, lenient)
		if err != nil {
			return Applied{}, err
		}
		d.set("RelatedFindings", b)
		c |= CustomRelatedFindings
		mark("RelatedFindings")
	}
	if len(u.UserDefinedFields) > 0 {
		// AWS adds and overwrites the given keys and keeps the others.
		udf := d.object("UserDefinedFields")
		keys := make([]string, 0, len(u.UserDefinedFields))
		for k := range u.UserDefinedFields {
			keys = append(keys, k)
		}
		slices.Sort(keys) // new keys land in the same order every time
		for _, k := range keys {
			udf.setString(k, u.UserDefinedFields[k])
		}
		d.setObject("UserDefinedFields", udf)
		mark("UserDefinedFields")
	}
	if u.Workflow != nil && u.Workflow.Status != "" {
		// WorkflowState is deprecated and AWS does not derive it from
		// Workflow.Status, so it keeps whatever it was.
		wf := d.object("Workflow")
		wf.setString("Status", u.Workflow.Status)
		d.setObject("Workflow", wf)
		mark("Workflow")
	}
	d.setString("ProcessedAt", FormatTime(now))
	mark("ProcessedAt")
	a.Doc, a.Customized = d.bytes(), c
	a.Updates = diffMembers(old, d, a.set)
	return a, nil
}

// Edit returns the document split into its members and the top-level
// members Apply set, so that a store can fill its columns without
// splitting the document again (see muster.Change.Edit).
func (a *Applied) Edit() *Edit { return &Edit{Object: Object{a.obj}, Set: a.set} }

// Edit is a finding document that was made by setting a few top-level
// members of a stored one: the document split into its members, and the
// names of the members that may differ from the stored document's.
type Edit struct {
	Object Object
	Set    []string
}

// ruleMembers are the members of the severity and types rule, which
// Applied.Check reads when the update set one of them.
var ruleMembers = []string{"Severity", "Types", "FindingProviderFields"}

// Check is Check(a.Doc) for a document that was valid before Apply: it
// checks the size of the document and the members Apply set, in
// document order, and the severity and types rule if the update set
// Severity or Types, and reports the first failure as Check would. An
// update that set neither leaves the rule as true as it was; walking
// FindingProviderFields for it was a third of the cost of checking a
// triage update.
func (a *Applied) Check() error {
	if len(a.Doc) > MaxFindingSize {
		return &Invalid{Reason: msgTooLarge}
	}
	rule := slices.Contains(a.set, "Severity") || slices.Contains(a.set, "Types")
	checked := func(name string) bool {
		return slices.Contains(a.set, name) || rule && slices.Contains(ruleMembers, name)
	}
	if len(a.Doc) >= MaxFieldLength {
		for i, name := range a.obj.names {
			if checked(name) {
				if err := checkFieldLengths(a.obj.vals[i]); err != nil {
					return err
				}
			}
		}
	}
	c := checkers.Get().(*checker)
	*c = checker{}
	defer checkers.Put(c)
	for i, name := range a.obj.names {
		if !checked(name) {
			continue
		}
		if err := model.ValidateMember(findingShape, name, a.obj.vals[i], c); err != nil {
			var verr *model.ValidationError
			if errors.As(err, &verr) {
				return &Invalid{Path: verr.Path, Reason: verr.Reason, Err: verr.Err}
			}
			return err
		}
	}
	if !rule {
		return nil
	}
	return c.anyOf()
}

// apply edits the stored top-level Severity of d rather than replacing it,
// so that Original and any other member the provider sent survive.
func (s *SeverityUpdate) apply(d *object) error {
	sev := d.object("Severity")
	switch {
	case s.Label != nil && s.Normalized != nil:
		sev.setString("Label", *s.Label)
		sev.set("Normalized", strconv.AppendInt(nil, int64(*s.Normalized), 10))
	case s.Label != nil:
		n, ok := labelNormalized[*s.Label]
		if !ok {
			return fmt.Errorf("Severity.Label %q", *s.Label)
		}
		sev.setString("Label", *s.Label)
		sev.set("Normalized", strconv.AppendInt(nil, int64(n), 10))
	case s.Normalized != nil:
		sev.setString("Label", NormalizedLabel(*s.Normalized))
		sev.set("Normalized", strconv.AppendInt(nil, int64(*s.Normalized), 10))
	}
	if s.Product != nil {
		p := *s.Product
		if math.IsNaN(p) || math.IsInf(p, 0) {
			return errors.New("Severity.Product is not a finite number")
		}
		sev.set("Product", strconv.AppendFloat(nil, p, 'g', -1, 64))
	}
	d.setObject("Severity", sev)
	return nil
}

// ApplyLegacy returns what the deprecated UpdateFindings makes of the
// stored finding doc: a non-nil note replaces Note and a non-empty
// recordState sets RecordState. Unlike BatchUpdateFindings it sets neither
// ProcessedAt nor UpdatedAt. The note is marked LegacyNote in the returned
// set because the provider's next import replaces it. Setting an ARCHIVED
// finding ACTIVE sets a NOTIFIED or RESOLVED workflow back to NEW, as a
// provider's import does: AWS documents the reset for any change of the
// record state from ARCHIVED to ACTIVE.
func ApplyLegacy(doc []byte, c Customized, note *NoteUpdate, recordState string, now time.Time) ([]byte, Customized, error) {
	d, err := splitObject(doc)
	if err != nil {
		return nil, c, err
	}
	if note != nil {
		setNote(d, note, now)
		c |= LegacyNote
	}
	if recordState != "" {
		if recordState == "ACTIVE" && d.str("RecordState") == "ARCHIVED" {
			reopen(d)
		}
		d.setString("RecordState", recordState)
	}
	return d.bytes(), c, nil
}

// setNote replaces Note whole: a note is one text with its author and
// time, never merged with the one before.
func setNote(d *object, n *NoteUpdate, now time.Time) {
	b, _ := json.Marshal(struct{ Text, UpdatedBy, UpdatedAt string }{n.Text, n.UpdatedBy, FormatTime(now)}, lenient)
	d.set("Note", b)
}

// lenient encodes invalid UTF-8 as U+FFFD rather than failing, as
// object.setString does: request strings have been decoded from valid
// JSON already, so this only keeps a bad byte from failing an update.
var lenient = jsontext.AllowInvalidUTF8(true)

// historyExcluded are the top-level members GetFindingHistory leaves out
// of a record's Updates: AWS documents history for every ASFF field but
// the top-level timestamps, which change on nearly every import.
var historyExcluded = []string{"CreatedAt", "FirstObservedAt", "LastObservedAt", "ProcessedAt", "UpdatedAt"}

// Diff returns the fields that differ between two versions of a finding,
// sorted by Field, as a finding history record's Updates: objects are
// compared member by member with dotted paths, arrays and other values
// whole. A string value is given decoded, any other as compact JSON, an
// absent or null one as "". Layout (whitespace, string escapes) is not a
// change. Equal documents give nil.
func Diff(old, new []byte) ([]FieldUpdate, error) {
	if bytes.Equal(old, new) {
		return nil, nil
	}
	o, err := splitObject(old)
	if err != nil {
		return nil, err
	}
	n, err := splitObject(new)
	if err != nil {
		return nil, err
	}
	return diffSorted(o, n), nil
}

// diffSorted is Diff of two split documents.
func diffSorted(o, n *object) []FieldUpdate {
	var out []FieldUpdate
	diffObjects(&out, "", o, n)
	sortUpdates(out)
	return out
}

// sortUpdates sorts updates by Field.
func sortUpdates(out []FieldUpdate) {
	slices.SortFunc(out, func(a, b FieldUpdate) int {
		// Old and New only order paths that collide, such as a member
		// named "a.b" and member b of a, so the result is deterministic.
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		if c := strings.Compare(a.Old, b.Old); c != 0 {
			return c
		}
		return strings.Compare(a.New, b.New)
	})
}

// diffMembers is diffSorted for documents that differ at most in the
// top-level members names: Apply's, which need not compare the twenty-odd
// members it left alone.
func diffMembers(o, n *object, names []string) []FieldUpdate {
	var out []FieldUpdate
	for i, name := range names {
		if slices.Index(names, name) != i || slices.Contains(historyExcluded, name) {
			continue
		}
		diffValues(&out, name, o.member(name), n.member(name))
	}
	sortUpdates(out)
	return out
}

// diffObjects appends the differences between objects o and n, whose path
// is prefix ("" at the top level, else ending in a dot).
func diffObjects(out *[]FieldUpdate, prefix string, o, n *object) {
	// A repeated name is compared once, with the first value as member
	// reads it.
	for i, name := range o.names {
		if slices.Index(o.names, name) != i || (prefix == "" && slices.Contains(historyExcluded, name)) {
			continue
		}
		diffValues(out, prefix+name, o.member(name), n.member(name))
	}
	for i, name := range n.names {
		if slices.Index(n.names, name) != i || slices.Contains(o.names, name) || (prefix == "" && slices.Contains(historyExcluded, name)) {
			continue
		}
		diffValues(out, prefix+name, nil, n.member(name))
	}
}

// diffValues appends the differences between the raw values ov and nv
// (nil when absent) of path.
func diffValues(out *[]FieldUpdate, path string, ov, nv []byte) {
	// Most members of a re-imported finding are unchanged byte for byte;
	// comparing bytes first spares parsing them.
	if bytes.Equal(ov, nv) {
		return
	}
	if len(ov) > 0 && ov[0] == '{' && len(nv) > 0 && nv[0] == '{' {
		so, err1 := splitObject(ov)
		sn, err2 := splitObject(nv)
		if err1 == nil && err2 == nil {
			diffObjects(out, path+".", so, sn)
			return
		}
	}
	ok, os := leaf(ov)
	nk, ns := leaf(nv)
	if ok == nk && os == ns {
		return
	}
	*out = append(*out, FieldUpdate{Field: path, Old: os, New: ns})
}

// leafKind tells apart values whose text is the same but whose JSON is
// not: absent, the string "1" and the number 1.
type leafKind uint8

const (
	leafAbsent leafKind = iota
	leafString
	leafOther
)

// leaf returns the kind and history text of raw value v.
func leaf(v []byte) (leafKind, string) {
	switch {
	case len(v) == 0:
		return leafAbsent, ""
	case v[0] == '"':
		if s, err := unquote(v); err == nil {
			return leafString, s
		}
		return leafString, string(v)
	case v[0] != '[' && v[0] != '{':
		// A number, true, false or null has no whitespace or escapes to
		// normalize.
		return leafOther, string(v)
	}
	// Stored documents keep the producer's layout; normalizing whitespace
	// and string escapes keeps it from reading as a change.
	c := jsontext.Value(bytes.Clone(v))
	if err := c.Compact(jsontext.PreserveRawStrings(false)); err != nil {
		return leafOther, string(v)
	}
	return leafOther, string(c)
}
