package asff

import (
	"errors"
	"strings"
)

// ProductARN is a parsed ProductArn: the product a finding is imported for.
// Callers use it to check the region against the request's and to decide
// who may import for the product (the account's default product is
// company = account, product = "default").
type ProductARN struct {
	Partition string
	Region    string
	// Account is the product's home account; empty for AWS services and
	// for partner products published without one.
	Account string
	Company string
	Product string
}

// String returns the ARN in its canonical form.
func (p ProductARN) String() string {
	return "arn:" + p.Partition + ":securityhub:" + p.Region + ":" + p.Account + ":product/" + p.Company + "/" + p.Product
}

var errProductARN = errors.New("is not a product ARN of the form arn:<partition>:securityhub:<region>:<account or empty>:product/<company>/<product>")

// ParseProductARN parses s of the form
// arn:<partition>:securityhub:<region>:<12 digits or empty>:product/<company>/<product>.
// It rejects what AWS rejects before looking the product up: an empty or
// malformed region (trivy#6010: "arn:aws:securityhub:::product/…"), an
// account that is not 12 digits, an extra colon (the GuardDuty guide's
// "arn:aws::securityhub:…"), or a missing company or product.
func ParseProductARN(s string) (ProductARN, error) {
	var p ProductARN
	parts := strings.Split(s, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "securityhub" {
		return p, errProductARN
	}
	p.Partition, p.Region, p.Account = parts[1], parts[3], parts[4]
	if !strings.HasPrefix(p.Partition, "aws") || !isName(p.Partition, false) {
		return p, errProductARN
	}
	if !isName(p.Region, true) {
		return p, errProductARN
	}
	if p.Account != "" && !digits([]byte(p.Account), 12) {
		return p, errProductARN
	}
	rest, ok := strings.CutPrefix(parts[5], "product/")
	if !ok {
		return p, errProductARN
	}
	p.Company, p.Product, ok = strings.Cut(rest, "/")
	if !ok || p.Company == "" || p.Product == "" || strings.Contains(p.Product, "/") ||
		strings.ContainsAny(rest, " \t\r\n") {
		return p, errProductARN
	}
	return p, nil
}

// isName reports whether s is non-empty and made of lowercase letters and
// dashes (and digits if allowed), as partitions and regions are.
func isName(s string, allowDigits bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || c == '-' || allowDigits && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
