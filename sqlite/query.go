package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
)

// QueryFindings compiles q to one SELECT over the narrow table (joining the
// documents only when a filter or sort reads a field without a column), then
// fetches the documents of the page. Both run in one read transaction, so
// the page is a consistent snapshot. Limit ≤ 0 means no limit; no accounts
// select nothing.
func (db *DB) QueryFindings(ctx context.Context, q muster.FindingQuery) ([]*muster.Finding, error) {
	sids, err := db.sids(ctx, q.Region, q.Accounts)
	if err != nil {
		return nil, err
	}
	if len(sids) == 0 {
		return nil, nil
	}
	hint, driver := "", -1
	if len(sids) == 1 {
		for sid := range sids {
			if hint, driver, err = db.planHint(ctx, sid, q); err != nil {
				return nil, err
			}
		}
	}
	query, args, err := compileQuery(sids, q, hint, driver)
	if err != nil {
		return nil, err
	}
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query findings: %w", err)
	}
	var (
		out  []*muster.Finding
		rids []any
	)
	for rows.Next() {
		var (
			rid    int64
			pa     int64
			custom int64
			f      = &muster.Finding{Region: q.Region}
		)
		if err := rows.Scan(&rid, &f.Account, &f.ProductARN, &f.ID, &pa, &custom); err != nil {
			rows.Close()
			return nil, err
		}
		f.ProcessedAt = time.Unix(0, pa).UTC()
		f.Customized = asff.Customized(custom)
		out = append(out, f)
		rids = append(rids, rid)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	idx := make(map[int64]int, len(rids))
	for i, r := range rids {
		idx[r.(int64)] = i
	}
	// Fetched after the page is known so that documents never pass
	// through the sorter; in chunks to stay under the variable limit.
	for start := 0; start < len(rids); start += 500 {
		chunk := rids[start:min(start+500, len(rids))]
		rows, err := tx.QueryContext(ctx, `SELECT rid, doc FROM docs WHERE rid IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, chunk...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				rid int64
				doc []byte
			)
			if err := rows.Scan(&rid, &doc); err != nil {
				rows.Close()
				return nil, err
			}
			out[idx[rid]].Doc = doc
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// builder accumulates SQL and its bound arguments.
type builder struct {
	walk    bool
	args    []any
	needDoc bool
	alias   int
}

// arg binds v and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "?" + strconv.Itoa(len(b.args))
}

func (b *builder) newAlias() string {
	b.alias++
	return "j" + strconv.Itoa(b.alias)
}

// Columns of the narrow table that hold a field's typed value, by ASFF
// path. They are filled from the document on write (see columnValues), and the
// key columns from the finding's key, which the importer reads from the same
// members of the document.
var columns = map[string]string{
	"UpdatedAt":       "f.updated_at",
	"Severity.Label":  "f.severity_label",
	"Workflow.Status": "f.workflow_status",
	"RecordState":     "f.record_state",
	"ProductArn":      "f.product_arn",
	"AwsAccountId":    "f.account",
	"Id":              "f.id",
}

// Defaults of the planner's limits (config.probeLimit, config.sortLimit).
const (
	// probeLimit is how many attrs rows a filter may select for the query
	// to start from them rather than from the sort index.
	probeLimit = 5000
	// sortLimit is how many findings an equality on Severity.Label or
	// Workflow.Status may select for the query to start from its index and
	// sort them. Sorting costs a table row per match, where the walk of
	// findings_updated reads about limit × findings ÷ matches entries of
	// one index, densely: at a million findings a page of 100 is cheaper to
	// sort below about 2,000 matches.
	sortLimit = 1000
)

// planHint picks the index for listings in UpdatedAt order, the default
// and most common one. SQLite's planner does not weigh LIMIT: left alone it
// reads every finding of an attribute value and sorts them, where walking
// the sort index newest first finds a page after a few hundred entries.
// Only a selective filter is better as the starting point, measured by
// counting its index entries up to a limit: a ResourceId/ResourceType
// filter, for which driver is that condition's index and the query starts
// from its attrs rows (a CROSS JOIN fixes the order, so statistics cannot
// change it), or an equality on a label column, whose index the hint names.
func (db *DB) planHint(ctx context.Context, sid int64, q muster.FindingQuery) (hint string, driver int, err error) {
	if len(q.Sort) == 0 || q.Sort[0].Field == nil || q.Sort[0].Field.Path != "UpdatedAt" {
		return "", -1, nil
	}
	hint = "INDEXED BY findings_updated"
	if q.Filter == nil {
		return hint, -1, nil
	}
	for i := range q.Filter.Conds {
		c := &q.Filter.Conds[i]
		field, ok := attrPaths[c.Field.Path]
		if !ok || c.Field.Type != filter.String {
			continue
		}
		n, err := db.probeAttrs(ctx, field, c)
		if err != nil {
			return "", -1, err
		}
		if n >= 0 && n < db.cfg.probeLimit {
			return "", i, nil
		}
	}
	for i := range q.Filter.Conds {
		c := &q.Filter.Conds[i]
		if len(c.Strings) != 1 || c.Strings[0].Op != filter.Equals {
			continue
		}
		index, ok := labelIndexes[c.Field.Path]
		if !ok {
			continue
		}
		b := &builder{}
		sub := "SELECT 1 FROM findings f INDEXED BY " + index + " WHERE f.sid = " + b.arg(sid) +
			" AND " + b.stringPred(filter.Equals, columns[c.Field.Path], c.Strings[0].Value)
		n, err := db.countUpTo(ctx, b, sub, db.cfg.sortLimit)
		if err != nil {
			return "", -1, err
		}
		if n < db.cfg.sortLimit {
			return "INDEXED BY " + index, -1, nil
		}
	}
	return hint, -1, nil
}

// labelIndexes are the indexes of the label columns, by ASFF path.
var labelIndexes = map[string]string{
	"Severity.Label":  "findings_severity",
	"Workflow.Status": "findings_workflow",
}

// probeAttrs counts, up to the probe limit, the attrs rows that the positive
// comparisons of c select; -1 when c has none.
func (db *DB) probeAttrs(ctx context.Context, field int, c *filter.Condition) (int, error) {
	b := &builder{}
	var subs []string
	for _, s := range c.Strings {
		if s.Op.Negative() || s.Op == filter.Contains {
			continue
		}
		subs = append(subs, "SELECT 1 FROM attrs WHERE field = "+b.arg(field)+" AND "+b.stringPred(s.Op, "value", s.Value))
	}
	if len(subs) == 0 {
		return -1, nil
	}
	return db.countUpTo(ctx, b, strings.Join(subs, " UNION ALL "), db.cfg.probeLimit)
}

// countUpTo counts the rows of the query sub, whose arguments b holds, up
// to limit: enough to tell a selective filter from another without
// reading all of the other's index entries.
func (db *DB) countUpTo(ctx context.Context, b *builder, sub string, limit int) (int, error) {
	var n int
	err := db.rdb.QueryRowContext(ctx, "SELECT count(*) FROM ("+sub+" LIMIT "+b.arg(limit)+")", b.args...).Scan(&n)
	return n, err
}

func compileQuery(sids map[int64]string, q muster.FindingQuery, hint string, driver int) (string, []any, error) {
	// When the query walks an index in sort order, attrs conditions are
	// checked per finding; otherwise the planner may start from them.
	b := &builder{walk: hint != ""}
	var where []string
	if len(sids) == 1 {
		for sid := range sids {
			where = append(where, "f.sid = "+b.arg(sid))
		}
	} else {
		var ph []string
		for sid := range sids {
			ph = append(ph, b.arg(sid))
		}
		where = append(where, "f.sid IN ("+strings.Join(ph, ", ")+")")
	}
	if q.Filter != nil {
		for i := range q.Filter.Conds {
			e, err := b.condition(&q.Filter.Conds[i])
			if err != nil {
				return "", nil, err
			}
			where = append(where, e)
		}
	}
	sortExprs := make([]string, len(q.Sort))
	for i, s := range q.Sort {
		e, err := b.sortExpr(s.Field)
		if err != nil {
			return "", nil, err
		}
		sortExprs[i] = e
	}
	if q.After != nil {
		where = append(where, b.after(q.Sort, sortExprs, q.After))
	}
	var order []string
	for i, s := range q.Sort {
		if s.Desc {
			order = append(order, sortExprs[i]+" DESC")
		} else {
			order = append(order, sortExprs[i])
		}
	}
	if len(sids) > 1 {
		order = append(order, "f.account")
	}
	order = append(order, "f.product_arn", "f.id")
	limit := int64(-1)
	if q.Limit > 0 {
		limit = int64(q.Limit)
	}
	var sb strings.Builder
	sb.WriteString("SELECT f.rid, f.account, f.product_arn, f.id, f.processed_at, f.customized FROM ")
	if driver >= 0 {
		c := &q.Filter.Conds[driver]
		field := attrPaths[c.Field.Path]
		var subs []string
		for _, s := range c.Strings {
			if !s.Op.Negative() {
				subs = append(subs, "SELECT rid FROM attrs INDEXED BY attrs_value WHERE field = "+b.arg(field)+" AND "+b.stringPred(s.Op, "value", s.Value))
			}
		}
		sb.WriteString("(" + strings.Join(subs, " UNION ") + ") m CROSS JOIN ")
	}
	sb.WriteString("findings f")
	if driver >= 0 {
		sb.WriteString(" ON f.rid = m.rid")
	}
	if hint != "" {
		sb.WriteString(" " + hint)
	}
	if b.needDoc {
		sb.WriteString(" JOIN docs d ON d.rid = f.rid")
	}
	sb.WriteString(" WHERE ")
	sb.WriteString(strings.Join(where, " AND "))
	sb.WriteString(" ORDER BY ")
	sb.WriteString(strings.Join(order, ", "))
	sb.WriteString(" LIMIT ")
	sb.WriteString(b.arg(limit))
	return sb.String(), b.args, nil
}

// after is the keyset condition "strictly after the cursor" in the order
// ORDER BY gives, where NULL (absent) sorts before every value.
func (b *builder) after(sorts []filter.Sort, exprs []string, c *filter.Cursor) string {
	var ors []string
	var eqs []string
	for i, s := range sorts {
		var cv any
		if i < len(c.Values) {
			cv = cursorValue(s.Field.Type, c.Values[i])
		}
		e := exprs[i]
		var gt string
		switch {
		case !s.Desc && cv == nil:
			gt = e + " IS NOT NULL"
		case !s.Desc:
			gt = e + " > " + b.arg(cv)
		case cv == nil:
			gt = "" // nothing sorts after NULL in descending order
		default:
			p := b.arg(cv)
			gt = "(" + e + " < " + p + " OR " + e + " IS NULL)"
		}
		if gt != "" {
			ors = append(ors, "("+strings.Join(append(append([]string{}, eqs...), gt), " AND ")+")")
		}
		if cv == nil {
			eqs = append(eqs, e+" IS NULL")
		} else {
			eqs = append(eqs, e+" = "+b.arg(cv))
		}
	}
	key := "(f.account, f.product_arn, f.id) > (" + b.arg(c.Account) + ", " + b.arg(c.ProductARN) + ", " + b.arg(c.ID) + ")"
	ors = append(ors, "("+strings.Join(append(eqs, key), " AND ")+")")
	return "(" + strings.Join(ors, " OR ") + ")"
}

// cursorValue converts a cursor's sort value, which may have been through
// JSON, to the SQL value of the sort expression, or nil when absent; it
// follows filter.SortValues' normalisation.
func cursorValue(t filter.Type, v any) any {
	switch t {
	case filter.String, filter.IP:
		if s, ok := v.(string); ok {
			return s
		}
	case filter.Number:
		if f, ok := filter.NumberValue(v); ok {
			return f
		}
	case filter.Date:
		switch x := v.(type) {
		case string:
			if ms, ok := parseMillis(x); ok {
				return ms
			}
		case int64:
			return x
		case time.Time:
			return x.UnixMilli()
		default:
			if f, ok := filter.NumberValue(v); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return int64(f)
			}
		}
	case filter.Boolean:
		if b, ok := v.(bool); ok {
			if b {
				return int64(1)
			}
			return int64(0)
		}
	}
	return nil
}

// sortExpr is the typed value of a single-valued field.
func (b *builder) sortExpr(fl *filter.Field) (string, error) {
	if fl == nil || fl.Multi || fl.Type == filter.Map || fl.Type == filter.Keyword || fl.Path == "" {
		return "", muster.Errorf(muster.InvalidInput, "cannot sort by %v", fieldName(fl))
	}
	if c, ok := columns[fl.Path]; ok {
		return c, nil
	}
	src := b.source(fl.Path, false)
	return typed(fl.Type, src.t, src.v), nil
}

func fieldName(fl *filter.Field) string {
	if fl == nil {
		return "<nil>"
	}
	return fl.Name
}

// source is where a path's values come from: FROM items and their WHERE
// guards for paths that cross arrays (none for single-valued paths), and
// the JSON type and SQL value of each value.
type source struct {
	from   []string
	guards []string
	t, v   string
}

// jsonPath quotes each member so that no name needs escaping rules.
func jsonPath(members []string) string {
	var sb strings.Builder
	sb.WriteString("$")
	for _, m := range members {
		sb.WriteString(`."`)
		sb.WriteString(m)
		sb.WriteString(`"`)
	}
	return sb.String()
}

// source follows path as filter.Field.Values does: every step must find an
// object member, a member marked [] must be an array whose elements the
// rest of the path continues into, and JSON null yields nothing. With
// asMap, the values are the path's objects and json_each over them yields
// (key, value) rows: the caller adds the key condition.
func (b *builder) source(path string, asMap bool) source {
	b.needDoc = true
	var src source
	// As TEXT, because SQLite's JSON functions keep a statement's recent
	// text arguments parsed and find them again by content, but parse a
	// BLOB argument on every call, and a typed value makes two of them
	// (json_type, json_extract), a sort or a cursor several more.
	x := "CAST(d.doc AS TEXT)"
	var members []string
	steps := strings.Split(path, ".")
	for i, s := range steps {
		name, arr := strings.CutSuffix(s, "[]")
		members = append(members, name)
		if !arr {
			continue
		}
		p := b.arg(jsonPath(members))
		a := b.newAlias()
		src.from = append(src.from, "json_each("+x+", "+p+") AS "+a)
		src.guards = append(src.guards, "json_type("+x+", "+p+") = 'array'")
		members = nil
		if i == len(steps)-1 {
			src.t, src.v = a+".type", a+".value"
			x = ""
			break
		}
		x = "IIF(" + a + ".type = 'object', " + a + ".value, NULL)"
	}
	if x != "" {
		p := b.arg(jsonPath(members))
		src.t, src.v = "json_type("+x+", "+p+")", "json_extract("+x+", "+p+")"
		if asMap {
			a := b.newAlias()
			src.from = append(src.from, "json_each("+x+", "+p+") AS "+a)
			src.guards = append(src.guards, "json_type("+x+", "+p+") = 'object'")
			src.t, src.v = a+".type", a+".value"
		}
	}
	return src
}

// typed is the value of a field of type t as SQL compares it, NULL when
// the JSON value is absent or of another type: text for strings, numbers,
// Unix milliseconds for dates, 0/1 for booleans.
func typed(t filter.Type, jt, v string) string {
	switch t {
	case filter.Number:
		return "IIF(" + jt + " IN ('integer', 'real'), " + v + ", NULL)"
	case filter.Date:
		return "IIF(" + jt + " = 'text', muster_ms(" + v + "), NULL)"
	case filter.Boolean:
		return "IIF(" + jt + " = 'true', 1, IIF(" + jt + " = 'false', 0, NULL))"
	default:
		return "IIF(" + jt + " = 'text', " + v + ", NULL)"
	}
}

func (b *builder) condition(c *filter.Condition) (string, error) {
	fl := c.Field
	if fl == nil {
		return "", muster.Errorf(muster.InvalidInput, "condition without a field")
	}
	switch fl.Type {
	case filter.Keyword:
		var ors []string
		for _, p := range filter.KeywordPaths {
			src := b.source(p, false)
			tv := typed(filter.String, src.t, src.v)
			for _, k := range c.Keywords {
				ors = append(ors, "instr("+tv+", "+b.arg(k)+") > 0")
			}
		}
		return orExpr(ors), nil
	case filter.Map:
		return b.mapCondition(c)
	case filter.String:
		if field, ok := attrPaths[fl.Path]; ok {
			return b.attrCondition(field, c), nil
		}
	}
	// A column, or JSON values of one path.
	var (
		tv  string
		src source
	)
	if col, ok := columns[fl.Path]; ok {
		tv = col
	} else {
		src = b.source(fl.Path, false)
		tv = typed(fl.Type, src.t, src.v)
	}
	var pos, neg []string
	switch fl.Type {
	case filter.String:
		for _, s := range c.Strings {
			if s.Op.Negative() {
				neg = append(neg, b.stringPred(s.Op, tv, s.Value))
			} else {
				pos = append(pos, b.stringPred(s.Op, tv, s.Value))
			}
		}
	case filter.Number:
		for _, n := range c.Numbers {
			pos = append(pos, b.numberPred(tv, n))
		}
	case filter.Date:
		for _, d := range c.Dates {
			pos = append(pos, b.datePred(tv, d))
		}
	case filter.IP:
		for _, p := range c.IPs {
			pos = append(pos, "muster_ip_in("+tv+", "+b.arg(p.String())+") = 1")
		}
	case filter.Boolean:
		for _, v := range c.Bools {
			x := 0
			if v {
				x = 1
			}
			pos = append(pos, tv+" = "+b.arg(x))
		}
	default:
		return "", muster.Errorf(muster.InvalidInput, "unsupported filter type for %s", fl.Name)
	}
	if len(pos) == 0 && len(neg) == 0 {
		// An attribute given with no values: nothing to require.
		return "1", nil
	}
	var parts []string
	if len(src.from) == 0 {
		if len(pos) > 0 {
			// A top-level term of WHERE, where NULL rejects as 0 does;
			// left bare so that the planner can use an index for it.
			parts = append(parts, orExpr(pos))
		}
		if len(neg) > 0 {
			parts = append(parts, "NOT COALESCE("+orExpr(neg)+", 0)")
		}
	} else {
		if len(pos) > 0 {
			parts = append(parts, "EXISTS ("+src.sel(orExpr(pos))+")")
		}
		if len(neg) > 0 {
			parts = append(parts, "NOT EXISTS ("+src.sel(orExpr(neg))+")")
		}
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// sel is a subquery over the source's rows that satisfy pred.
func (s source) sel(pred string) string {
	where := append(append([]string{}, s.guards...), pred)
	return "SELECT 1 FROM " + strings.Join(s.from, ", ") + " WHERE " + strings.Join(where, " AND ")
}

func orExpr(ors []string) string {
	if len(ors) == 0 {
		return "0"
	}
	if len(ors) == 1 {
		return ors[0]
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// stringPred is the predicate of op on tv (for a negative op, the predicate
// it forbids). PREFIX is a range so that it can use an index, and byte-wise
// like memcmp, unlike LIKE.
func (b *builder) stringPred(op filter.StringOp, tv, value string) string {
	switch op {
	case filter.Equals, filter.NotEquals:
		return tv + " = " + b.arg(value)
	case filter.Prefix, filter.PrefixNotEquals:
		lo := tv + " >= " + b.arg(value)
		if hi, ok := prefixEnd(value); ok {
			return "(" + lo + " AND " + tv + " < " + b.arg(hi) + ")"
		}
		return lo
	case filter.Contains, filter.NotContains:
		return "instr(" + tv + ", " + b.arg(value) + ") > 0"
	}
	return "0"
}

// prefixEnd returns the least string greater than every string with prefix
// p, byte-wise; ok is false when there is none (p is empty or all 0xff).
func prefixEnd(p string) (string, bool) {
	bs := []byte(p)
	for i := len(bs) - 1; i >= 0; i-- {
		if bs[i] < 0xff {
			bs[i]++
			return string(bs[:i+1]), true
		}
	}
	return "", false
}

func (b *builder) numberPred(tv string, n filter.NumberCond) string {
	ands := []string{tv + " IS NOT NULL"}
	add := func(op string, x *float64) {
		if x != nil {
			ands = append(ands, tv+" "+op+" "+b.arg(*x))
		}
	}
	add(">=", n.Gte)
	add("<=", n.Lte)
	add(">", n.Gt)
	add("<", n.Lt)
	add("=", n.Eq)
	return "(" + strings.Join(ands, " AND ") + ")"
}

func (b *builder) datePred(tv string, d filter.DateCond) string {
	ands := []string{tv + " IS NOT NULL"}
	if d.Start != nil {
		ands = append(ands, tv+" >= "+b.arg(d.Start.UnixMilli()))
	}
	if d.End != nil {
		ands = append(ands, tv+" <= "+b.arg(d.End.UnixMilli()))
	}
	return "(" + strings.Join(ands, " AND ") + ")"
}

// attrCondition looks a String field kept in attrs up by value: each
// positive comparison is an index range over (field, value), and the
// negative ones exclude the findings that have a violating value.
func (b *builder) attrCondition(field int, c *filter.Condition) string {
	var pos, neg, posRow []string
	for _, s := range c.Strings {
		if s.Op.Negative() {
			neg = append(neg, b.stringPred(s.Op, "a.value", s.Value))
			continue
		}
		if b.walk {
			posRow = append(posRow, b.stringPred(s.Op, "a.value", s.Value))
		} else {
			pos = append(pos, "SELECT rid FROM attrs INDEXED BY attrs_value WHERE field = "+b.arg(field)+" AND "+b.stringPred(s.Op, "value", s.Value))
		}
	}
	// Per finding: one lookup in attrs' primary key (rid, field, ...).
	perRow := func(preds []string) string {
		return "EXISTS (SELECT 1 FROM attrs a WHERE a.rid = f.rid AND a.field = " + b.arg(field) + " AND " + orExpr(preds) + ")"
	}
	var parts []string
	if len(pos) > 0 {
		parts = append(parts, "f.rid IN ("+strings.Join(pos, " UNION ALL ")+")")
	}
	if len(posRow) > 0 {
		parts = append(parts, perRow(posRow))
	}
	if len(neg) > 0 {
		parts = append(parts, "NOT "+perRow(neg))
	}
	if len(parts) == 0 {
		return "1"
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// mapCondition compares, for each MapFilter, the strings at its key in
// every map along the path.
func (b *builder) mapCondition(c *filter.Condition) (string, error) {
	var pos, neg []string
	for _, s := range c.Strings {
		src := b.source(c.Field.Path, true)
		a := "j" + strconv.Itoa(b.alias) // the key/value rows of the map
		src.guards = append(src.guards, a+".key = "+b.arg(s.Key))
		tv := typed(filter.String, src.t, src.v)
		e := "EXISTS (" + src.sel(b.stringPred(s.Op, tv, s.Value)) + ")"
		if s.Op.Negative() {
			neg = append(neg, "NOT "+e)
		} else {
			pos = append(pos, e)
		}
	}
	var parts []string
	if len(pos) > 0 {
		parts = append(parts, orExpr(pos))
	}
	parts = append(parts, neg...)
	if len(parts) == 0 {
		return "1", nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}
