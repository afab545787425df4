package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/muster-hub/muster"
)

// testProducts checks the product catalog and subscriptions: registration
// replaces, subscriptions are per account and region, conflict and absence
// have their codes.
func testProducts(t *testing.T, s muster.Store) {
	ctx := context.Background()
	p := &muster.Product{
		CompanyID: "acmecorp", CompanyName: "ACME", ProductID: "scanner", ProductName: "Scanner",
		HomeAccount: "222222222222", IntegrationTypes: []string{muster.SendFindings},
		ImportPolicies: []string{muster.FromProductAccount}, Categories: []string{"Vulnerability"},
	}
	if err := s.PutProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	q := *p
	q.ProductName = "Scanner 2"
	if err := s.PutProduct(ctx, &q); err != nil {
		t.Fatal(err)
	}
	other := &muster.Product{CompanyID: "acmecorp", ProductID: "agent", ProductName: "Agent", HomeAccount: "222222222222"}
	if err := s.PutProduct(ctx, other); err != nil {
		t.Fatal(err)
	}
	got, err := s.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ProductID != "agent" || !reflect.DeepEqual(got[1], &q) {
		t.Fatalf("Products = %+v", got)
	}

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sub := func(account, region string) *muster.Subscription {
		return &muster.Subscription{
			Scope: muster.Scope{Account: account, Region: region}, CompanyID: "acmecorp", ProductID: "scanner",
			ProductARN: p.ARN(region), Policy: `{"Version":"2012-10-17","Statement":[]}`,
			ImportPolicies: []string{muster.FromProductAccount}, CreatedAt: at,
		}
	}
	a := sub("111111111111", "us-east-1")
	if err := s.CreateSubscription(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSubscription(ctx, sub("111111111111", "us-east-1")); muster.ErrorCode(err) != muster.ResourceConflict {
		t.Fatalf("second subscription: %v", err)
	}
	if err := s.CreateSubscription(ctx, sub("111111111111", "us-west-2")); err != nil {
		t.Fatal(err)
	}
	got1, err := s.Subscription(ctx, a.Scope, "acmecorp", "scanner")
	if err != nil || !reflect.DeepEqual(got1, a) {
		t.Fatalf("Subscription = %+v, %v; want %+v", got1, err, a)
	}
	if none, err := s.Subscription(ctx, muster.Scope{Account: "333333333333", Region: "us-east-1"}, "acmecorp", "scanner"); none != nil || err != nil {
		t.Fatalf("another account's subscription: %+v, %v", none, err)
	}
	list, err := s.Subscriptions(ctx, a.Scope)
	if err != nil || len(list) != 1 || list[0].ARN() != "arn:aws:securityhub:us-east-1:111111111111:product-subscription/acmecorp/scanner" {
		t.Fatalf("Subscriptions = %+v, %v", list, err)
	}
	if err := s.DeleteSubscription(ctx, a.Scope, "acmecorp", "scanner"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, a.Scope, "acmecorp", "scanner"); muster.ErrorCode(err) != muster.ResourceNotFound {
		t.Fatalf("deleting twice: %v", err)
	}
	if list, _ := s.Subscriptions(ctx, muster.Scope{Account: "111111111111", Region: "us-west-2"}); len(list) != 1 {
		t.Fatalf("the other region's subscription went too: %+v", list)
	}
}
