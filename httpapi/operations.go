package httpapi

import (
	"context"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/hub"
)

// operations returns the handlers of the operations Muster implements; the
// model's other operations answer NotImplementedException.
func (s *Server) operations() map[string]handler {
	svc := s.service
	return map[string]handler{
		"EnableSecurityHub": decoded(func(ctx context.Context, c hub.Caller, in hub.EnableInput) (any, error) {
			return nil, svc.EnableSecurityHub(ctx, c, in)
		}),
		"DisableSecurityHub": func(ctx context.Context, c hub.Caller, _ jsontext.Value) (any, error) {
			return nil, svc.DisableSecurityHub(ctx, c)
		},
		"DescribeHub": decoded(func(ctx context.Context, c hub.Caller, in struct{ HubArn string }) (any, error) {
			return svc.DescribeHub(ctx, c, in.HubArn)
		}),
		"UpdateSecurityHubConfiguration": decoded(func(ctx context.Context, c hub.Caller, in hub.UpdateHubInput) (any, error) {
			return nil, svc.UpdateSecurityHubConfiguration(ctx, c, in)
		}),
		"TagResource": decoded(func(ctx context.Context, c hub.Caller, in struct {
			ResourceArn string
			Tags        map[string]string
		}) (any, error) {
			return nil, svc.TagResource(ctx, c, in.ResourceArn, in.Tags)
		}),
		"UntagResource": decoded(func(ctx context.Context, c hub.Caller, in struct {
			ResourceArn string
			TagKeys     []string
		}) (any, error) {
			return nil, svc.UntagResource(ctx, c, in.ResourceArn, in.TagKeys)
		}),
		"ListTagsForResource": decoded(func(ctx context.Context, c hub.Caller, in struct{ ResourceArn string }) (any, error) {
			tags, err := svc.ListTagsForResource(ctx, c, in.ResourceArn)
			if err != nil {
				return nil, err
			}
			return struct{ Tags map[string]string }{tags}, nil
		}),
		"CreateActionTarget": decoded(func(ctx context.Context, c hub.Caller, in hub.CreateActionTargetInput) (any, error) {
			arn, err := svc.CreateActionTarget(ctx, c, in)
			if err != nil {
				return nil, err
			}
			return struct{ ActionTargetArn string }{arn}, nil
		}),
		"DescribeActionTargets": decoded(func(ctx context.Context, c hub.Caller, in hub.DescribeActionTargetsInput) (any, error) {
			return svc.DescribeActionTargets(ctx, c, in)
		}),
		"UpdateActionTarget": decoded(func(ctx context.Context, c hub.Caller, in hub.UpdateActionTargetInput) (any, error) {
			return struct{}{}, svc.UpdateActionTarget(ctx, c, in)
		}),
		"DeleteActionTarget": decoded(func(ctx context.Context, c hub.Caller, in struct{ ActionTargetArn string }) (any, error) {
			if err := svc.DeleteActionTarget(ctx, c, in.ActionTargetArn); err != nil {
				return nil, err
			}
			return struct{ ActionTargetArn string }{in.ActionTargetArn}, nil
		}),
		"DescribeProducts": decoded(func(ctx context.Context, c hub.Caller, in hub.DescribeProductsInput) (any, error) {
			return svc.DescribeProducts(ctx, c, in)
		}),
		"EnableImportFindingsForProduct": decoded(func(ctx context.Context, c hub.Caller, in struct{ ProductArn string }) (any, error) {
			arn, err := svc.EnableImportFindingsForProduct(ctx, c, in.ProductArn)
			if err != nil {
				return nil, err
			}
			return struct{ ProductSubscriptionArn string }{arn}, nil
		}),
		"DisableImportFindingsForProduct": decoded(func(ctx context.Context, c hub.Caller, in struct{ ProductSubscriptionArn string }) (any, error) {
			return nil, svc.DisableImportFindingsForProduct(ctx, c, in.ProductSubscriptionArn)
		}),
		"ListEnabledProductsForImport": decoded(func(ctx context.Context, c hub.Caller, in hub.ListEnabledInput) (any, error) {
			return svc.ListEnabledProductsForImport(ctx, c, in)
		}),
		"BatchImportFindings": func(ctx context.Context, c hub.Caller, body jsontext.Value) (any, error) {
			findings, err := splitFindings(body)
			if err != nil {
				return nil, err
			}
			return svc.BatchImportFindings(ctx, c, findings)
		},
		"GetFindings": decoded(func(ctx context.Context, c hub.Caller, in hub.GetFindingsInput) (any, error) {
			return svc.GetFindings(ctx, c, in)
		}),
		"BatchUpdateFindings": decoded(func(ctx context.Context, c hub.Caller, in hub.BatchUpdateInput) (any, error) {
			return svc.BatchUpdateFindings(ctx, c, in)
		}),
		"UpdateFindings": decoded(func(ctx context.Context, c hub.Caller, in hub.UpdateFindingsInput) (any, error) {
			return struct{}{}, svc.UpdateFindings(ctx, c, in)
		}),
		"GetFindingHistory": decoded(func(ctx context.Context, c hub.Caller, in hub.GetHistoryInput) (any, error) {
			return svc.GetFindingHistory(ctx, c, in)
		}),
		"CreateInsight": decoded(func(ctx context.Context, c hub.Caller, in hub.CreateInsightInput) (any, error) {
			arn, err := svc.CreateInsight(ctx, c, in)
			return struct{ InsightArn string }{arn}, err
		}),
		"GetInsights": decoded(func(ctx context.Context, c hub.Caller, in hub.GetInsightsInput) (any, error) {
			return svc.GetInsights(ctx, c, in)
		}),
		"UpdateInsight": decoded(func(ctx context.Context, c hub.Caller, in hub.UpdateInsightInput) (any, error) {
			return struct{}{}, svc.UpdateInsight(ctx, c, in)
		}),
		"DeleteInsight": decoded(func(ctx context.Context, c hub.Caller, in struct{ InsightArn string }) (any, error) {
			arn, err := svc.DeleteInsight(ctx, c, in.InsightArn)
			return struct{ InsightArn string }{arn}, err
		}),
		"GetInsightResults": decoded(func(ctx context.Context, c hub.Caller, in struct{ InsightArn string }) (any, error) {
			return svc.GetInsightResults(ctx, c, in.InsightArn)
		}),
	}
}

// decoded adapts a handler of a typed input: the bound JSON input decodes
// into In, matching member names exactly as the model spells them.
func decoded[In any](f func(ctx context.Context, c hub.Caller, in In) (any, error)) handler {
	return func(ctx context.Context, c hub.Caller, raw jsontext.Value) (any, error) {
		var in In
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, muster.Errorf(muster.InvalidInput, "Invalid input: %s", jsonError(err))
			}
		}
		return f(ctx, c, in)
	}
}
