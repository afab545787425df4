package iam

import (
	"fmt"
	"strconv"
	"strings"
)

type statement struct {
	deny         bool
	notAction    bool
	actions      []pattern // lower case, matched ignoring case
	anyResource  bool      // no Resource element: a trust policy's statement
	notResource  bool
	resources    []pattern
	principal    *principalSet
	notPrincipal bool
	conds        []condition
}

// applies reports whether the statement applies to r: the action, the
// resource, the principal (if the statement names one) and every
// condition match.
func (s *statement) applies(r *Request, vars bool) bool {
	matched := false
	for i := range s.actions {
		if s.actions[i].match(r.Action, nil, true) {
			matched = true
			break
		}
	}
	if matched == s.notAction {
		return false
	}
	if !s.anyResource {
		matched = false
		for i := range s.resources {
			if s.resources[i].match(r.Resource, r.Context, false) {
				matched = true
				break
			}
		}
		if matched == s.notResource {
			return false
		}
	}
	if s.principal != nil {
		if s.notPrincipal {
			if s.principal.excepts(&r.Principal) {
				return false
			}
		} else if !s.principal.matches(&r.Principal) {
			return false
		}
	}
	for i := range s.conds {
		if !s.conds[i].holds(r) {
			return false
		}
	}
	return true
}

func parsePolicy(root *node) (*Policy, error) {
	if root.kind != nodeObject {
		return nil, errAt(root, "", "a policy must be a JSON object, not %s", root.kind)
	}
	p := &Policy{}
	var stmts *node
	for _, m := range root.obj {
		switch m.key {
		case "Version":
			if m.val.kind != nodeString {
				return nil, errAt(m.val, m.key, "must be a string, not %s", m.val.kind)
			}
			switch m.val.text {
			case "2012-10-17":
				p.vars = true
			case "2008-10-17":
			default:
				return nil, errAt(m.val, m.key, `unsupported version %q (want "2012-10-17" or "2008-10-17")`, m.val.text)
			}
		case "Id":
			if m.val.kind != nodeString {
				return nil, errAt(m.val, m.key, "must be a string, not %s", m.val.kind)
			}
		case "Statement":
			stmts = m.val
		default:
			return nil, &Error{Offset: m.keyOff, Msg: fmt.Sprintf("unknown element %q", m.key)}
		}
	}
	if stmts == nil {
		return nil, errAt(root, "", "missing Statement")
	}

	var list []*node
	switch stmts.kind {
	case nodeObject:
		list = []*node{stmts}
	case nodeArray:
		if len(stmts.arr) == 0 {
			return nil, errAt(stmts, "Statement", "has no statements")
		}
		list = stmts.arr
	default:
		return nil, errAt(stmts, "Statement", "must be an object or an array of objects, not %s", stmts.kind)
	}
	withPrincipal := 0
	for i, n := range list {
		path := "Statement"
		if stmts.kind == nodeArray {
			path += "[" + strconv.Itoa(i) + "]"
		}
		s, err := parseStatement(n, path, p.vars)
		if err != nil {
			return nil, err
		}
		if s.principal != nil {
			withPrincipal++
		}
		if withPrincipal != 0 && withPrincipal != i+1 {
			// Identity policies must not name principals, and trust and
			// resource policies must, so no policy can mix the two.
			if s.principal != nil {
				return nil, errAt(n, path, "names a principal, but earlier statements do not")
			}
			return nil, errAt(n, path, "missing Principal, which earlier statements have")
		}
		p.stmts = append(p.stmts, s)
	}
	p.hasPrincipal = withPrincipal > 0
	return p, nil
}

func parseStatement(n *node, path string, vars bool) (statement, error) {
	var s statement
	if n.kind != nodeObject {
		return s, errAt(n, path, "a statement must be an object, not %s", n.kind)
	}
	var effect, action, resource, principal *member
	for i := range n.obj {
		m := &n.obj[i]
		elem := join(path, m.key)
		switch m.key {
		case "Sid":
			if m.val.kind != nodeString {
				return s, errAt(m.val, elem, "must be a string, not %s", m.val.kind)
			}
		case "Effect":
			effect = m
		case "Action", "NotAction":
			if action != nil {
				return s, &Error{Element: path, Offset: m.keyOff, Msg: "has both Action and NotAction"}
			}
			action = m
		case "Resource", "NotResource":
			if resource != nil {
				return s, &Error{Element: path, Offset: m.keyOff, Msg: "has both Resource and NotResource"}
			}
			resource = m
		case "Principal", "NotPrincipal":
			if principal != nil {
				return s, &Error{Element: path, Offset: m.keyOff, Msg: "has both Principal and NotPrincipal"}
			}
			principal = m
		case "Condition":
			conds, err := parseCondition(m.val, elem, vars)
			if err != nil {
				return s, err
			}
			s.conds = conds
		default:
			return s, &Error{Element: path, Offset: m.keyOff, Msg: fmt.Sprintf("unknown element %q", m.key)}
		}
	}

	if effect == nil {
		return s, errAt(n, path, "missing Effect")
	}
	switch {
	case effect.val.kind == nodeString && effect.val.text == "Allow":
	case effect.val.kind == nodeString && effect.val.text == "Deny":
		s.deny = true
	default:
		return s, errAt(effect.val, join(path, "Effect"), `must be "Allow" or "Deny"`)
	}

	if action == nil {
		return s, errAt(n, path, "missing Action or NotAction")
	}
	elem := join(path, action.key)
	vals, err := stringList(action.val, elem)
	if err != nil {
		return s, err
	}
	s.notAction = action.key == "NotAction"
	for _, v := range vals {
		if v.text != "*" {
			service, name, ok := strings.Cut(v.text, ":")
			if !ok || service == "" || name == "" || strings.Contains(name, ":") {
				return s, errAt(v, elem, "%q is not of the form service:action", v.text)
			}
		}
		// Actions have no variables; wildcards are all they take.
		p, _ := compile(strings.ToLower(v.text), true, false)
		s.actions = append(s.actions, p)
	}

	if principal != nil {
		elem := join(path, principal.key)
		if s.principal, err = parsePrincipal(principal.val, elem); err != nil {
			return s, err
		}
		s.notPrincipal = principal.key == "NotPrincipal"
	}

	if resource == nil {
		if principal == nil {
			return s, errAt(n, path, "missing Resource or NotResource")
		}
		s.anyResource = true
		return s, nil
	}
	elem = join(path, resource.key)
	if vals, err = stringList(resource.val, elem); err != nil {
		return s, err
	}
	s.notResource = resource.key == "NotResource"
	for _, v := range vals {
		if v.text == "" {
			return s, errAt(v, elem, "empty resource")
		}
		p, err := compile(v.text, true, vars)
		if err != nil {
			return s, errAt(v, elem, "%v", err)
		}
		s.resources = append(s.resources, p)
	}
	return s, nil
}

func parseCondition(n *node, path string, vars bool) ([]condition, error) {
	if n.kind != nodeObject {
		return nil, errAt(n, path, "must be an object of condition operators, not %s", n.kind)
	}
	var conds []condition
	for _, m := range n.obj {
		c, err := parseOperator(m.key)
		if err != nil {
			return nil, &Error{Element: path, Offset: m.keyOff, Msg: err.Error()}
		}
		opPath := join(path, m.key)
		if m.val.kind != nodeObject {
			return nil, errAt(m.val, opPath, "must be an object of condition keys, not %s", m.val.kind)
		}
		if len(m.val.obj) == 0 {
			return nil, errAt(m.val, opPath, "has no condition keys")
		}
		for _, k := range m.val.obj {
			keyPath := join(opPath, k.key)
			if k.key == "" {
				return nil, &Error{Element: opPath, Offset: k.keyOff, Msg: "empty condition key"}
			}
			var vals []*node
			switch k.val.kind {
			case nodeString, nodeNumber, nodeBool:
				vals = []*node{k.val}
			case nodeArray:
				if len(k.val.arr) == 0 {
					return nil, errAt(k.val, keyPath, "has no values")
				}
				vals = k.val.arr
			default:
				return nil, errAt(k.val, keyPath, "must be a value or an array of values, not %s", k.val.kind)
			}
			c := c
			c.key = k.key
			c.values = make([]value, 0, len(vals))
			for _, v := range vals {
				switch v.kind {
				case nodeString, nodeNumber, nodeBool:
				default:
					return nil, errAt(v, keyPath, "a condition value must be a string, a number or a boolean, not %s", v.kind)
				}
				val, err := parseValue(c.op, v.text, vars)
				if err != nil {
					return nil, errAt(v, keyPath, "%v", err)
				}
				c.values = append(c.values, val)
			}
			conds = append(conds, c)
		}
	}
	return conds, nil
}

// stringList returns the strings of an element that takes a string or a
// non-empty array of strings.
func stringList(n *node, path string) ([]*node, error) {
	switch n.kind {
	case nodeString:
		return []*node{n}, nil
	case nodeArray:
		if len(n.arr) == 0 {
			return nil, errAt(n, path, "is an empty list")
		}
		for _, v := range n.arr {
			if v.kind != nodeString {
				return nil, errAt(v, path, "must be a string or an array of strings; has %s", v.kind)
			}
		}
		return n.arr, nil
	}
	return nil, errAt(n, path, "must be a string or an array of strings, not %s", n.kind)
}

func errAt(n *node, elem, format string, args ...any) *Error {
	return &Error{Element: elem, Offset: n.off, Msg: fmt.Sprintf(format, args...)}
}
