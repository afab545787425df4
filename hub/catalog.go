package hub

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/muster-hub/muster"
)

// builtinProducts is the catalog Muster starts with: AWS's own
// integrations, with the ARNs AWS gives them (no home account), and the
// open-source producers people run today, with the ARNs their code sends,
// so that `prowler --security-hub`, Trivy's ASFF template, kube-bench's
// --asff and Cloud Custodian's post-finding work after one
// EnableImportFindingsForProduct, as on AWS.
//
// On AWS only the service itself sends its findings; Muster has no such
// services, so their products take findings from inside the customer's
// account, which lets an operator replay GuardDuty or Inspector findings.
var builtinProducts = []*muster.Product{
	awsProduct("access-analyzer", "IAM Access Analyzer", "AWS", "Analyzes resource policies for access from outside the zone of trust.", "Security"),
	awsProduct("config", "Config", "AWS", "Evaluates resource configurations against Config rules.", "Compliance"),
	awsProduct("firewall-manager", "Firewall Manager", "AWS", "Reports web ACL and security group policy violations.", "Firewall"),
	awsProduct("guardduty", "GuardDuty", "Amazon", "Threat detection that monitors for malicious activity and unauthorized behavior.", "Intrusion Detection Systems (IDS)"),
	awsProduct("health", "Health", "AWS", "Security-related AWS Health events.", "Security"),
	awsProduct("inspector", "Inspector", "Amazon", "Vulnerability management for EC2, ECR and Lambda.", "Vulnerability"),
	awsProduct("macie", "Macie", "Amazon", "Discovers sensitive data and reports S3 bucket policy findings.", "Data Protection"),
	awsProduct("securityhub", "Security Hub", "AWS", "Control findings of the security standards.", "Compliance"),
	awsProduct("ssm-patch-manager", "Systems Manager Patch Manager", "AWS", "Patch compliance of managed instances.", "Vulnerability"),
	openSource("aqua-security", "Aqua Security", "kube-bench", "Kube-bench", "Checks Kubernetes against the CIS Kubernetes Benchmark (--asff).", "Compliance"),
	openSource("aquasecurity", "Aqua Security", "aquasecurity", "Aqua Security", "Trivy vulnerability and misconfiguration findings (ASFF template).", "Vulnerability"),
	openSource("cloud-custodian", "Cloud Custodian", "cloud-custodian", "Cloud Custodian", "Policy-as-code findings from the post-finding action.", "Compliance"),
	openSource("prowler", "Prowler", "prowler", "Prowler", "AWS security best-practice and compliance checks.", "Compliance"),
	{
		CompanyID: "sumologicinc", CompanyName: "Sumo Logic", ProductID: "sumologic-mda", ProductName: "Machine Data Analytics",
		Description: "Sends findings from Sumo Logic searches.", Categories: []string{"Security Information and Event Management (SIEM)"},
		HomeAccount: "956882702234", IntegrationTypes: []string{muster.SendFindings},
		ImportPolicies: []string{muster.FromProductAccount}, Builtin: true,
	},
}

func awsProduct(id, name, company, desc, category string) *muster.Product {
	return &muster.Product{
		CompanyID: "aws", CompanyName: company, ProductID: id, ProductName: name, Description: desc,
		Categories: []string{category}, IntegrationTypes: []string{muster.SendFindings},
		ImportPolicies: []string{muster.FromCustomerAccount}, Builtin: true,
	}
}

func openSource(company, companyName, id, name, desc, category string) *muster.Product {
	return &muster.Product{
		CompanyID: company, CompanyName: companyName, ProductID: id, ProductName: name, Description: desc,
		Categories: []string{category}, IntegrationTypes: []string{muster.SendFindings},
		ImportPolicies: []string{muster.FromCustomerAccount}, Builtin: true,
	}
}

// catalog is the product catalog: the built-in products and those
// registered in the store, which it caches since imports look a product
// up on every call and registrations are rare.
type catalog struct {
	mu     sync.RWMutex
	loaded bool
	byKey  map[[2]string]*muster.Product
	sorted []*muster.Product
}

// get returns the product company/product, or nil when there is none.
func (c *catalog) get(ctx context.Context, store muster.ProductStore, company, product string) (*muster.Product, error) {
	if err := c.load(ctx, store); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byKey[[2]string{company, product}], nil
}

// all returns every product ordered by company and product id.
func (c *catalog) all(ctx context.Context, store muster.ProductStore) ([]*muster.Product, error) {
	if err := c.load(ctx, store); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sorted, nil
}

func (c *catalog) load(ctx context.Context, store muster.ProductStore) error {
	c.mu.RLock()
	loaded := c.loaded
	c.mu.RUnlock()
	if loaded {
		return nil
	}
	registered, err := store.Products(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKey = map[[2]string]*muster.Product{}
	for _, p := range slices.Concat(builtinProducts, registered) {
		c.byKey[[2]string{p.CompanyID, p.ProductID}] = p
	}
	c.sorted = make([]*muster.Product, 0, len(c.byKey))
	for _, p := range c.byKey {
		c.sorted = append(c.sorted, p)
	}
	slices.SortFunc(c.sorted, func(a, b *muster.Product) int {
		return cmp.Or(cmp.Compare(a.CompanyID, b.CompanyID), cmp.Compare(a.ProductID, b.ProductID))
	})
	c.loaded = true
	return nil
}

// invalidate makes the next lookup read the store again.
func (c *catalog) invalidate() {
	c.mu.Lock()
	c.loaded = false
	c.mu.Unlock()
}
