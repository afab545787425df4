// Package filtertest generates random findings, filters and sort criteria
// for the differential tests that hold every store's query compiler to the
// in-memory matcher of package filter. Values come from small pools shared
// by findings and filters, so that random filters select some findings and
// not others, and edge cases (absent members, several resources, prefixes
// of one another, IPv4 and IPv6, timestamps in several offsets and
// precisions, zero) turn up often.
package filtertest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/model"
)

// Now is the instant around which RandomDoc spreads timestamps. Pass it as
// now to RandomFilters and filter.Parse so that DateRange filters land on
// and around the findings' dates, including the exact edges.
var Now = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

// fieldInfo is what the generators know of one filter field.
type fieldInfo struct {
	*filter.Field
	leaf    *model.Shape // shape at the end of the path
	strings []string     // pool for String fields
	numbers []float64    // pool for Number fields
}

var (
	infos  []*fieldInfo
	byPath = map[string]*fieldInfo{}
)

var (
	generalStrings = []string{"alpha", "alpha-1", "alpha-10", "Alpha", "beta", "beta/gamma", "gamma", "a", "ab", "abc", "x y z", "ünïcödé", "i-0abc", "i-0abd"}
	accounts       = []string{"111111111111", "222222222222", "333333333333"}
	products       = []string{
		"arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",
		"arn:aws:securityhub:us-east-1::product/aws/guardduty",
		"arn:aws:securityhub:us-east-1::product/aws/securityhub",
	}
	regions   = []string{"us-east-1", "us-east-2", "eu-west-1"}
	types     = []string{"Software and Configuration Checks/AWS Security Best Practices", "Software and Configuration Checks/Vulnerabilities/CVE", "TTPs/Discovery", "Effects/Data Exposure"}
	resTypes  = []string{"AwsEc2Instance", "AwsEc2SecurityGroup", "AwsS3Bucket", "AwsIamRole", "AwsIamPolicy", "Other"}
	resIDs    = []string{"arn:aws:ec2:us-east-1:111111111111:instance/i-0abc", "arn:aws:ec2:us-east-1:111111111111:instance/i-0abd", "arn:aws:s3:::bucket-a", "arn:aws:s3:::bucket-ab", "arn:aws:iam::111111111111:role/admin"}
	titles    = []string{"S3 bucket is public", "S3 bucket has no encryption", "EC2 instance has a public IP", "Unusual API call from Tor", "CVE-2024-1234 in openssl"}
	descs     = []string{"A bucket allows public read access.", "An instance is reachable from the internet.", "An API was called from a Tor exit node.", "The package openssl is vulnerable."}
	mapKeys   = []string{"env", "team", "Name", "aws/securityhub/ProductName", "Owner"}
	mapValues = []string{"prod", "production", "dev", "Prod", "sec team", "a"}
	ipv4s     = []string{"10.0.0.1", "10.0.0.255", "10.1.2.3", "192.168.1.10", "203.0.113.5", "0.0.0.0", "255.255.255.255"}
	ipv6s     = []string{"2001:db8::1", "2001:db8:0:1::5", "2001:db9::1", "fe80::1", "::1", "::ffff:10.0.0.1"}
	cidrs     = []string{"10.0.0.0/8", "10.0.0.0/24", "10.0.0.1/32", "10.0.0.1", "10.1.2.3/16", "192.168.0.0/16", "0.0.0.0/0", "203.0.113.5", "2001:db8::/32", "2001:db8::1", "2001:db8::/64", "fe80::/10", "::/0", "::1/128"}
	days      = []int{0, 1, 2, 6, 7, 8, 30, 90, 365}
)

// stringPools are the pools of String fields whose values have a shape of
// their own; other String fields use their enum or generalStrings.
var stringPools = map[string][]string{
	"Id":                         {"us-east-1/111111111111/finding-1", "us-east-1/222222222222/finding-", "f/finding-42"},
	"ProductArn":                 products,
	"AwsAccountId":               accounts,
	"Region":                     regions,
	"Type":                       types,
	"FindingProviderFieldsTypes": types,
	"ResourceType":               resTypes,
	"ResourceId":                 resIDs,
	"ResourceRegion":             regions,
	"Title":                      titles,
	"Description":                descs,
	"GeneratorId":                {"aws-foundational-security-best-practices/v/1.0.0/S3.1", "aws-foundational-security-best-practices/v/1.0.0/EC2.9", "pci-dss/v/3.2.1/S3.1", "cis"},
	"ProductName":                {"GuardDuty", "Security Hub CSPM", "Inspector"},
	"CompanyName":                {"AWS", "Personal"},
	"ComplianceSecurityControlId": {
		"S3.1", "S3.10", "EC2.9",
	},
	"RelatedFindingsProductArn":                      products,
	"FindingProviderFieldsRelatedFindingsProductArn": products,
}

func init() {
	finding := model.Lookup("AwsSecurityFinding")
	for i := range filter.Fields {
		f := &filter.Fields[i]
		in := &fieldInfo{Field: f}
		if f.Path != "" {
			in.leaf = leafShape(finding, f.Path)
			byPath[f.Path] = in
		}
		switch {
		case stringPools[f.Name] != nil:
			in.strings = stringPools[f.Name]
		case in.leaf != nil && len(in.leaf.Enum) > 0:
			in.strings = in.leaf.Enum
		default:
			in.strings = generalStrings
		}
		switch {
		case strings.HasSuffix(f.Name, "Port"):
			in.numbers = []float64{0, 22, 80, 443, 65535}
		case strings.HasSuffix(f.Name, "Pid"):
			in.numbers = []float64{0, 1, 4242, 2147483647}
		case f.Name == "SeverityProduct":
			in.numbers = []float64{0, 2.5, 8.9, 100}
		default:
			in.numbers = []float64{0, 1, 39, 40, 41, 70, 100}
		}
		infos = append(infos, in)
	}
}

func leafShape(s *model.Shape, path string) *model.Shape {
	for _, seg := range strings.Split(path, ".") {
		name, arr := strings.CutSuffix(seg, "[]")
		s = model.ShapeAt(s.Member(name).Shape)
		if arr {
			s = model.ShapeAt(s.Elem)
		}
	}
	return s
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// RandomDate returns an ASFF timestamp a few days before or after Now, on
// or next to the edges of DateRange filters, in one of the forms Security
// Hub accepts: Z or an offset, no fraction, milliseconds, or nanoseconds
// that round to a neighbouring millisecond.
func RandomDate(r *rand.Rand) string { return randomDate(r, Now) }

func randomDate(r *rand.Rand, base time.Time) string {
	t := base.AddDate(0, 0, -pick(r, days))
	t = t.Add(pick(r, []time.Duration{0, 0, 0, time.Millisecond, -time.Millisecond, time.Second, -time.Second, -12 * time.Hour, 3 * time.Hour, 24 * time.Hour}))
	switch r.IntN(6) {
	case 0:
		return t.Format("2006-01-02T15:04:05Z07:00")
	case 1:
		// nanoseconds, rounding down or up to t's millisecond
		return t.Add(pick(r, []time.Duration{-500_000, 499_999, 1})).Format("2006-01-02T15:04:05.000000000Z07:00")
	case 2:
		return t.In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05.000-07:00")
	case 3:
		return t.In(time.FixedZone("", -(5*3600 + 30*60))).Format("2006-01-02T15:04:05-0700")
	}
	return asff.FormatTime(t)
}

// value returns one random value for a leaf of the field, of the JSON type
// its filter type reads.
func (in *fieldInfo) value(r *rand.Rand) any {
	switch in.Type {
	case filter.String:
		return pick(r, in.strings)
	case filter.Number:
		return pick(r, in.numbers)
	case filter.Date:
		return RandomDate(r)
	case filter.IP:
		if strings.Contains(in.Name, "V6") {
			return pick(r, ipv6s)
		}
		return pick(r, ipv4s)
	case filter.Boolean:
		return r.IntN(2) == 0
	case filter.Map:
		m := map[string]any{}
		for range r.IntN(4) {
			m[pick(r, mapKeys)] = pick(r, mapValues)
		}
		return m
	}
	return nil
}

// RandomDoc returns a random finding that is valid ASFF as far as the
// model's shapes, required members and enums go, so that it can also be
// imported with BatchImportFindings. Its Id is drawn from a space of
// millions, so findings rarely share a key (KeyOf), yet Id filters select
// some by prefix; a test that needs distinct keys must still check.
func RandomDoc(r *rand.Rand) filter.Doc {
	created := RandomDate(r)
	doc := filter.Doc{
		"SchemaVersion": "2018-10-08",
		"Id":            fmt.Sprintf("%s/finding-%d", pick(r, []string{"us-east-1/111111111111", "us-east-1/222222222222", "f"}), r.IntN(1_000_000)),
		"ProductArn":    pick(r, products),
		"GeneratorId":   pick(r, stringPools["GeneratorId"]),
		"AwsAccountId":  pick(r, accounts),
		"CreatedAt":     created,
		"UpdatedAt":     pick(r, []string{created, RandomDate(r)}),
		"Title":         pick(r, titles),
		"Description":   pick(r, descs),
	}
	var resources []any
	for range 1 + r.IntN(3) {
		resources = append(resources, map[string]any{"Type": pick(r, resTypes), "Id": pick(r, resIDs)})
	}
	doc["Resources"] = resources
	for _, in := range infos {
		if in.Path == "" || in.Name == "Id" || r.IntN(5) >= 2 {
			continue
		}
		set(r, doc, strings.Split(in.Path, "."), func() any { return in.value(r) })
	}
	fillRequired(r, doc, model.Lookup("AwsSecurityFinding"), "")
	return doc
}

// set puts random values at the path's leaf, creating the objects on the
// way and, when it crosses an array that does not exist, one or two
// elements.
func set(r *rand.Rand, m map[string]any, segs []string, gen func() any) {
	name, arr := strings.CutSuffix(segs[0], "[]")
	if len(segs) == 1 {
		if !arr {
			m[name] = gen()
			return
		}
		var vs []any
		for range 1 + r.IntN(3) {
			vs = append(vs, gen())
		}
		m[name] = vs
		return
	}
	if !arr {
		child, ok := m[name].(map[string]any)
		if !ok {
			child = map[string]any{}
			m[name] = child
		}
		set(r, child, segs[1:], gen)
		return
	}
	elems, ok := m[name].([]any)
	if !ok {
		for range 1 + r.IntN(2) {
			elems = append(elems, map[string]any{})
		}
		m[name] = elems
	}
	for _, e := range elems {
		if r.IntN(4) < 3 {
			set(r, e.(map[string]any), segs[1:], gen)
		}
	}
}

// fillRequired adds the required members that the model asks for and the
// random fields left out, with values a filter field would give them.
func fillRequired(r *rand.Rand, v any, s *model.Shape, path string) {
	switch s.Kind {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for _, mem := range s.Members {
			p := mem.Name
			if path != "" {
				p = path + "." + mem.Name
			}
			ms := model.ShapeAt(mem.Shape)
			if ms.Kind == model.List {
				p += "[]"
			}
			if _, ok := m[mem.Name]; !ok && mem.Required {
				switch {
				case byPath[p] != nil:
					m[mem.Name] = byPath[p].value(r)
				case len(ms.Enum) > 0:
					m[mem.Name] = pick(r, ms.Enum)
				case ms.Kind == model.String:
					m[mem.Name] = pick(r, generalStrings)
				}
			}
			if x, ok := m[mem.Name]; ok {
				fillRequired(r, x, ms, p)
			}
		}
	case model.List:
		xs, _ := v.([]any)
		for _, x := range xs {
			fillRequired(r, x, model.ShapeAt(s.Elem), path)
		}
	}
}

// RandomMessyDoc is RandomDoc with some values of the wrong JSON type or
// unparseable where the filter engine must treat them as absent: numbers
// for strings, strings for numbers, dates that are no timestamps, IP
// members holding CIDR blocks, zoned or invalid addresses, non-string map
// values and nulls. Stores index what they are given, so the differential
// test feeds these too.
func RandomMessyDoc(r *rand.Rand) filter.Doc {
	doc := RandomDoc(r)
	for _, in := range infos {
		if in.Path == "" || in.Name == "Id" || in.Name == "ResourceId" || in.Name == "ResourceType" || r.IntN(8) != 0 {
			continue
		}
		set(r, doc, strings.Split(in.Path, "."), func() any { return wrongValue(r, in) })
	}
	return doc
}

func wrongValue(r *rand.Rand, in *fieldInfo) any {
	if r.IntN(6) == 0 {
		return nil
	}
	switch in.Type {
	case filter.String:
		return pick(r, []any{float64(42), true, map[string]any{"Value": "alpha"}})
	case filter.Number:
		return pick(r, []any{"40", true})
	case filter.Date:
		return pick(r, []any{"yesterday", "2025-06-15", "2025-06-15 12:00:00Z", float64(Now.UnixMilli())})
	case filter.IP:
		return pick(r, []any{"10.0.0.0/24", "fe80::1%eth0", "10.0.0.300", float64(167772161)})
	case filter.Boolean:
		return pick(r, []any{"true", float64(1)})
	case filter.Map:
		return map[string]any{pick(r, mapKeys): float64(1), pick(r, mapKeys): pick(r, mapValues)}
	}
	return nil
}

// StringPool returns the values RandomDoc draws the String filter field
// name from (its enum in the model, for an enum), or nil for another field.
func StringPool(name string) []string {
	for _, in := range infos {
		if in.Name == name && in.Type == filter.String {
			return in.strings
		}
	}
	return nil
}

// KeyOf returns the key of a finding from RandomDoc.
func KeyOf(doc filter.Doc) filter.Key {
	s := func(k string) string { v, _ := doc[k].(string); return v }
	return filter.Key{Account: s("AwsAccountId"), ProductARN: s("ProductArn"), ID: s("Id")}
}

// RandomFilters returns the JSON of a random AwsSecurityFindingFilters
// that filter.Parse accepts: up to 10 attributes drawn from all 104, each
// with up to 20 filters in combinations AWS allows, with values from the
// pools RandomDoc uses (and prefixes and substrings of them) so that they
// select some findings. DateRange filters are relative to now.
func RandomFilters(r *rand.Rand, now time.Time) []byte {
	n := pick(r, []int{0, 1, 1, 1, 2, 2, 3, 4, 10})
	out := map[string]any{}
	for _, i := range r.Perm(len(infos))[:n] {
		in := infos[i]
		k := pick(r, []int{1, 1, 1, 2, 2, 3, 5, 20})
		out[in.Name] = in.filters(r, k, now)
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b
}

// filterString returns a value to compare with: a pool value, or a prefix
// or substring of one.
func (in *fieldInfo) filterString(r *rand.Rand, pool []string) string {
	s := pick(r, pool)
	runes := []rune(s)
	switch r.IntN(4) {
	case 0:
		if len(runes) > 1 {
			s = string(runes[:1+r.IntN(len(runes)-1)])
		}
	case 1:
		if len(runes) > 2 {
			i := r.IntN(len(runes) - 1)
			s = string(runes[i : i+1+r.IntN(len(runes)-i-1)])
		}
	}
	if strings.TrimSpace(s) == "" {
		return pick(r, pool)
	}
	return s
}

func (in *fieldInfo) filters(r *rand.Rand, k int, now time.Time) []any {
	var out []any
	switch in.Type {
	case filter.String, filter.Map:
		var modes [][]string
		if in.Type == filter.String {
			modes = [][]string{
				{"EQUALS"}, {"PREFIX"}, {"EQUALS", "PREFIX"},
				{"PREFIX", "NOT_EQUALS", "PREFIX_NOT_EQUALS"},
				{"NOT_EQUALS"}, {"NOT_EQUALS", "PREFIX_NOT_EQUALS"},
				{"CONTAINS"}, {"NOT_CONTAINS"},
			}
		} else {
			modes = [][]string{{"EQUALS"}, {"NOT_EQUALS"}, {"CONTAINS"}, {"NOT_CONTAINS"}}
		}
		ops := pick(r, modes)
		for range k {
			f := map[string]any{"Comparison": pick(r, ops)}
			if in.Type == filter.Map {
				f["Key"] = pick(r, mapKeys)
				f["Value"] = in.filterString(r, mapValues)
			} else {
				f["Value"] = in.filterString(r, in.strings)
			}
			out = append(out, f)
		}
	case filter.Keyword:
		for range k {
			out = append(out, map[string]any{"Value": in.filterString(r, append(append([]string{}, titles...), descs...))})
		}
	case filter.Number:
		for range k {
			f := map[string]any{}
			for len(f) == 0 {
				for _, b := range []string{"Gte", "Lte", "Eq", "Gt", "Lt"} {
					if r.IntN(3) == 0 {
						f[b] = pick(r, in.numbers) + pick(r, []float64{0, 0, 0.5, -1})
					}
				}
			}
			out = append(out, f)
		}
	case filter.Date:
		for range k {
			if r.IntN(5) < 3 {
				out = append(out, map[string]any{"Start": randomDate(r, now), "End": randomDate(r, now)})
				continue
			}
			dr := map[string]any{"Value": pick(r, days), "Unit": "DAYS"}
			if c := pick(r, []string{"", "WITHIN", "OLDER_THAN"}); c != "" {
				dr["Comparison"] = c
			}
			out = append(out, map[string]any{"DateRange": dr})
		}
	case filter.IP:
		for range k {
			out = append(out, map[string]any{"Cidr": pick(r, cidrs)})
		}
	case filter.Boolean:
		for range k {
			out = append(out, map[string]any{"Value": r.IntN(2) == 0})
		}
	}
	return out
}

// RandomSort returns up to three random SortCriteria over the fields a
// listing can be ordered by, naming each by its attribute or by its ASFF
// path, with SortOrder asc, desc or omitted. No criteria means the default
// order.
func RandomSort(r *rand.Rand) []filter.SortCriterion {
	var sortable []*fieldInfo
	for _, in := range infos {
		if !in.Multi && in.Type != filter.Map && in.Type != filter.Keyword {
			sortable = append(sortable, in)
		}
	}
	var out []filter.SortCriterion
	for range pick(r, []int{0, 1, 1, 2, 3}) {
		in := pick(r, sortable)
		name := in.Name
		if r.IntN(4) == 0 {
			name = in.Path
		}
		out = append(out, filter.SortCriterion{Field: name, SortOrder: pick(r, []string{"", "asc", "desc"})})
	}
	return out
}
