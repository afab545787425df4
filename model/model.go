// Package model holds the Security Hub API model — operations, their HTTP
// bindings and every shape — as tables generated from botocore's
// service-2.json. The wire protocol, the router and the finding validator all
// read these tables, so the server accepts exactly what the model defines.
package model

//go:generate go run ./internal/gen -in service-2.json.gz -out zz_model.go

import (
	"sort"
	"strings"
)

// Kind is the type of a shape.
type Kind uint8

// The shape kinds of the model.
const (
	Structure Kind = iota + 1
	List
	Map
	String
	Integer
	Long
	Double
	Float
	Boolean
	Timestamp
)

func (k Kind) String() string {
	switch k {
	case Structure:
		return "object"
	case List:
		return "array"
	case Map:
		return "object"
	case String, Timestamp:
		return "string"
	case Integer, Long:
		return "integer"
	case Double, Float:
		return "number"
	case Boolean:
		return "boolean"
	}
	return "unknown"
}

// Shape is one named type of the model. Min and Max bound a string's length,
// a list's or map's item count, or a number's value, where HasMin and HasMax
// say the model sets them.
type Shape struct {
	Name    string
	Kind    Kind
	Members []Member
	// Elem is the element shape of a list, or the value shape of a map.
	Elem int
	// Key is the key shape of a map.
	Key            int
	Enum           []string
	Min, Max       int64
	HasMin, HasMax bool
	Pattern        string
	Exception      bool
	HTTPStatus     int
	Union          bool
	Document       bool
}

// Member is one member of a structure. Min and Max are the limits that the
// API reference documents for this member (zero when it documents none).
type Member struct {
	Name             string
	Shape            int
	Required         bool
	Location         string // "", "uri", "querystring" or "header"
	LocationName     string
	Deprecated       bool
	IdempotencyToken bool
	Min, Max         int64
}

// Operation is one API operation and its HTTP binding. Input and Output are
// shape indexes, -1 when the operation has none.
type Operation struct {
	Name       string
	Method     string
	Path       string
	Input      int
	Output     int
	Errors     []string
	Deprecated bool
}

var byName map[string]int

func init() {
	byName = make(map[string]int, len(shapes))
	for i := range shapes {
		byName[shapes[i].Name] = i
	}
	applyGuideLimits()
}

// ShapeAt returns the shape with index i.
func ShapeAt(i int) *Shape { return &shapes[i] }

// Lookup returns the shape named name, or nil.
func Lookup(name string) *Shape {
	i, ok := byName[name]
	if !ok {
		return nil
	}
	return &shapes[i]
}

// Member returns the member called name, or nil.
func (s *Shape) Member(name string) *Member {
	for i := range s.Members {
		if s.Members[i].Name == name {
			return &s.Members[i]
		}
	}
	return nil
}

// Operations returns every operation of the model, sorted by name.
func Operations() []Operation {
	return operations[:]
}

// LookupOperation returns the operation called name, or nil.
func LookupOperation(name string) *Operation {
	i := sort.Search(len(operations), func(i int) bool { return operations[i].Name >= name })
	if i < len(operations) && operations[i].Name == name {
		return &operations[i]
	}
	return nil
}

// guideLimits are ASFF limits that the Security Hub user guide and partner
// guide publish but the API model does not carry, keyed by
// "Structure.Member". Each is [min, max] (0 for no minimum).
// Sources: asff-top-level-attributes, asff-required-attributes and the
// partner guide's BatchImportFindings guidelines (see
// docs/validation.md for the list with links).
var guideLimits = map[string][2]int64{
	"AwsSecurityFinding.SchemaVersion":              {1, 0},
	"AwsSecurityFinding.ProductArn":                 {12, 2048},
	"AwsSecurityFinding.GeneratorId":                {1, 512},
	"AwsSecurityFinding.AwsAccountId":               {12, 12},
	"AwsSecurityFinding.Title":                      {1, 256},
	"AwsSecurityFinding.Description":                {1, 1024},
	"AwsSecurityFinding.Types":                      {0, 50},
	"AwsSecurityFinding.Resources":                  {1, 32},
	"AwsSecurityFinding.ProductFields":              {0, 50},
	"AwsSecurityFinding.UserDefinedFields":          {0, 50},
	"AwsSecurityFinding.Malware":                    {0, 5},
	"AwsSecurityFinding.ThreatIntelIndicators":      {0, 5},
	"AwsSecurityFinding.Threats":                    {0, 32},
	"AwsSecurityFinding.RelatedFindings":            {0, 10},
	"AwsSecurityFinding.ProductName":                {1, 128},
	"AwsSecurityFinding.CompanyName":                {1, 128},
	"AwsSecurityFinding.Region":                     {1, 16},
	"AwsSecurityFinding.AwsAccountName":             {1, 50},
	"AwsSecurityFinding.CreatedAt":                  {1, 0},
	"AwsSecurityFinding.UpdatedAt":                  {1, 0},
	"Compliance.RelatedRequirements":                {0, 32},
	"FindingProviderFields.Types":                   {0, 50},
	"FindingProviderFields.RelatedFindings":         {0, 10},
	"FindingProviderSeverity.Original":              {1, 64},
	"Severity.Original":                             {1, 64},
	"Recommendation.Text":                           {1, 512},
	"Note.Text":                                     {1, 512},
	"NoteUpdate.Text":                               {1, 512},
	"NoteUpdate.UpdatedBy":                          {1, 512},
	"Note.UpdatedBy":                                {1, 512},
	"BatchUpdateFindingsRequest.FindingIdentifiers": {1, 100},
	"BatchUpdateFindingsRequest.Types":              {0, 50},
	"BatchUpdateFindingsRequest.UserDefinedFields":  {0, 50},
	"BatchUpdateFindingsRequest.RelatedFindings":    {0, 10},
	"Resource.Type":                                 {1, 256},
	"Resource.Id":                                   {1, 512},
	"Resource.Region":                               {1, 16},
}

func applyGuideLimits() {
	for key, lim := range guideLimits {
		sname, mname, _ := strings.Cut(key, ".")
		s := Lookup(sname)
		if s == nil {
			panic("model: guide limit for unknown shape " + key)
		}
		m := s.Member(mname)
		if m == nil {
			panic("model: guide limit for unknown member " + key)
		}
		if lim[0] > 0 {
			m.Min = lim[0]
		}
		if lim[1] > 0 {
			m.Max = lim[1]
		}
	}
}
