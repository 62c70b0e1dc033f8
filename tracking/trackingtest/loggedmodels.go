package trackingtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/weirhq/weir/tracking"
)

// testLoggedModels covers MLflow 3's logged models: create (PENDING, ID, artifact location
// under the experiment), tags, write-once params, finalize, search, delete, and the models a
// run produced (LogOutputs, Run.Outputs).
func testLoggedModels(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	exp := get(s.CreateExperiment(ctx, tracking.CreateExperimentParams{Name: "models"}))(t)
	run := get(s.CreateRun(ctx, tracking.CreateRunParams{ExperimentID: exp}))(t)
	m := get(s.CreateLoggedModel(ctx, tracking.CreateLoggedModelParams{
		ExperimentID: exp, Name: "model", ModelType: "sklearn", SourceRunID: run.Info.RunID,
		Tags: []tracking.Tag{{Key: "team", Value: "ml"}}, Params: []tracking.Param{{Key: "alpha", Value: "0.1"}},
	}))(t)
	if !strings.HasPrefix(m.ID, "m-") || len(m.ID) != 34 || m.Status != tracking.LoggedModelPending ||
		m.ArtifactLocation != "mlflow-artifacts:/"+exp+"/models/"+m.ID+"/artifacts" || m.CreationTime == 0 ||
		len(m.Tags) != 1 || len(m.Params) != 1 || m.SourceRunID != run.Info.RunID || m.ExperimentID != exp {
		t.Fatalf("created logged model: %+v", m)
	}
	other := get(s.CreateLoggedModel(ctx, tracking.CreateLoggedModelParams{ExperimentID: exp, Time: m.CreationTime + 1}))(t)
	if other.Name == "" || other.ID == m.ID {
		t.Errorf("a model without a name gets a generated one and its own ID: %+v", other)
	}
	_, err := s.CreateLoggedModel(ctx, tracking.CreateLoggedModelParams{ExperimentID: "424242"})
	wantErr(t, err, tracking.ErrNotFound, "model in a missing experiment")
	_, err = s.CreateLoggedModel(ctx, tracking.CreateLoggedModelParams{ExperimentID: exp, SourceRunID: "nope"})
	wantErr(t, err, tracking.ErrNotFound, "model of a missing run")

	noErr(t, s.SetLoggedModelTags(ctx, m.ID, []tracking.Tag{{Key: "team", Value: "data"}, {Key: "stage", Value: "dev"}}))
	noErr(t, s.DeleteLoggedModelTag(ctx, m.ID, "stage"))
	wantErr(t, s.DeleteLoggedModelTag(ctx, m.ID, "stage"), tracking.ErrNotFound, "delete a missing tag")
	noErr(t, s.LogLoggedModelParams(ctx, m.ID, []tracking.Param{{Key: "alpha", Value: "0.1"}, {Key: "depth", Value: "3"}}))
	wantErr(t, s.LogLoggedModelParams(ctx, m.ID, []tracking.Param{{Key: "alpha", Value: "0.2"}}), tracking.ErrInvalid, "change a param")
	got := get(s.FinalizeLoggedModel(ctx, m.ID, tracking.LoggedModelReady))(t)
	if got.Status != tracking.LoggedModelReady || len(got.Params) != 2 || len(got.Tags) != 1 || got.Tags[0].Value != "data" ||
		got.Params[0].Key != "alpha" || got.Params[1].Value != "3" || got.LastUpdatedTime < got.CreationTime {
		t.Errorf("finalized logged model: %+v", got)
	}

	// The run names the model as its output.
	noErr(t, s.LogOutputs(ctx, run.Info.RunID, []tracking.ModelOutput{{ModelID: m.ID, Step: 3}}))
	noErr(t, s.LogOutputs(ctx, run.Info.RunID, []tracking.ModelOutput{{ModelID: m.ID, Step: 5}}))
	wantErr(t, s.LogOutputs(ctx, run.Info.RunID, []tracking.ModelOutput{{ModelID: "m-nope"}}), tracking.ErrNotFound, "output of a missing model")
	r := get(s.GetRun(ctx, run.Info.RunID))(t)
	if len(r.Outputs) != 1 || r.Outputs[0] != (tracking.ModelOutput{ModelID: m.ID, Step: 5}) {
		t.Errorf("run outputs: %+v", r.Outputs)
	}

	// Search: filters on attributes, tags and params; order; pages.
	search := func(filter string, order ...tracking.LoggedModelOrder) []string {
		t.Helper()
		page := get(s.SearchLoggedModels(ctx, tracking.SearchLoggedModelsParams{ExperimentIDs: []string{exp}, Filter: filter, OrderBy: order}))(t)
		var ids []string
		for _, x := range page.Models {
			ids = append(ids, x.ID)
		}
		return ids
	}
	if ids := search(""); len(ids) != 2 || ids[0] != other.ID {
		t.Errorf("all models, newest first: %v", ids)
	}
	if ids := search("", tracking.LoggedModelOrder{Field: "creation_timestamp", Ascending: true}); len(ids) != 2 || ids[0] != m.ID {
		t.Errorf("oldest first: %v", ids)
	}
	for _, f := range []string{
		"name = 'model'", "source_run_id = '" + run.Info.RunID + "' AND name = 'model'", "tags.team = 'data'",
		"params.depth = '3'", "status = 'READY'", "status = 'LOGGED_MODEL_READY'", "model_type LIKE 'sk%'",
	} {
		if ids := search(f); len(ids) != 1 || ids[0] != m.ID {
			t.Errorf("filter %s: %v", f, ids)
		}
	}
	if ids := search("status != 'READY'"); len(ids) != 1 || ids[0] != other.ID {
		t.Errorf("status != READY: %v", ids)
	}
	page := get(s.SearchLoggedModels(ctx, tracking.SearchLoggedModelsParams{ExperimentIDs: []string{exp}, MaxResults: 1}))(t)
	if len(page.Models) != 1 || page.NextPageToken == "" {
		t.Fatalf("page 1: %+v", page)
	}
	page = get(s.SearchLoggedModels(ctx, tracking.SearchLoggedModelsParams{ExperimentIDs: []string{exp}, MaxResults: 1, PageToken: page.NextPageToken}))(t)
	if len(page.Models) != 1 || page.Models[0].ID != m.ID || page.NextPageToken != "" {
		t.Errorf("page 2: %+v", page)
	}
	_, err = s.SearchLoggedModels(ctx, tracking.SearchLoggedModelsParams{ExperimentIDs: []string{exp}, Filter: "metrics.acc > 1"})
	wantErr(t, err, tracking.ErrInvalid, "filter on metrics")
	if ids := search("", tracking.LoggedModelOrder{Field: "name", Ascending: true}); len(ids) != 2 {
		t.Errorf("order by name: %v", ids)
	}

	// Deleting hides the model and its ID is not reused.
	noErr(t, s.DeleteLoggedModel(ctx, other.ID))
	_, err = s.GetLoggedModel(ctx, other.ID)
	wantErr(t, err, tracking.ErrNotFound, "get a deleted model")
	wantErr(t, s.DeleteLoggedModel(ctx, other.ID), tracking.ErrNotFound, "delete a deleted model")
	wantErr(t, s.SetLoggedModelTags(ctx, other.ID, []tracking.Tag{{Key: "k", Value: "v"}}), tracking.ErrNotFound, "tag a deleted model")
	if ids := search(""); len(ids) != 1 || ids[0] != m.ID {
		t.Errorf("search after delete: %v", ids)
	}
	_, err = s.Store.CreateLoggedModel(ctx, tracking.CreateLoggedModelParams{ID: other.ID, ExperimentID: exp, Name: "x", ArtifactLocation: "mlflow-artifacts:/x"})
	wantErr(t, err, tracking.ErrAlreadyExists, "reuse a deleted model's ID")

	// A deleted experiment takes no new model.
	noErr(t, s.SetExperimentLifecycle(ctx, exp, tracking.StageDeleted))
	_, err = s.CreateLoggedModel(ctx, tracking.CreateLoggedModelParams{ExperimentID: exp})
	wantErr(t, err, tracking.ErrInvalid, "model in a deleted experiment")
}

// testWebhooks covers the registry webhooks' storage: create, get, list in pages, update,
// delete, and validation.
func testWebhooks(t *testing.T, setup func(t *testing.T) (context.Context, *tracking.Service)) {
	ctx, s := setup(t)
	w := get(s.CreateWebhook(ctx, tracking.Webhook{Name: "ci", URL: "https://ci.example/hook", Secret: "s3cret",
		Events: []tracking.WebhookEvent{tracking.EventModelVersionCreated}}))(t)
	if len(w.ID) != 32 || w.Status != tracking.WebhookActive || w.CreationTime == 0 {
		t.Fatalf("created webhook: %+v", w)
	}
	got := get(s.GetWebhook(ctx, w.ID))(t)
	if got.Name != "ci" || got.Secret != "s3cret" || len(got.Events) != 1 || !got.Subscribes(tracking.EventModelVersionCreated) ||
		got.Subscribes(tracking.EventModelVersionAliasCreated) {
		t.Errorf("stored webhook: %+v", got)
	}
	for _, bad := range []tracking.Webhook{
		{URL: "https://x.example", Events: []tracking.WebhookEvent{tracking.EventModelVersionCreated}},
		{Name: "n", URL: "ftp://x.example", Events: []tracking.WebhookEvent{tracking.EventModelVersionCreated}},
		{Name: "n", URL: "https://x.example"},
		{Name: "n", URL: "https://x.example", Events: []tracking.WebhookEvent{"model_version.exploded"}},
		{Name: "n", URL: "https://x.example", Events: []tracking.WebhookEvent{tracking.EventModelVersionCreated}, Status: "PAUSED"},
	} {
		_, err := s.CreateWebhook(ctx, bad)
		wantErr(t, err, tracking.ErrInvalid, fmt.Sprintf("invalid webhook %+v", bad))
	}
	second := get(s.CreateWebhook(ctx, tracking.Webhook{Name: "second", URL: "http://localhost:1/x",
		Events: []tracking.WebhookEvent{tracking.EventModelVersionAliasCreated}, Status: tracking.WebhookDisabled}))(t)
	page := get(s.ListWebhooks(ctx, 1, ""))(t)
	if len(page.Webhooks) != 1 || page.Webhooks[0].ID != w.ID || page.NextPageToken == "" {
		t.Fatalf("page 1: %+v", page)
	}
	page = get(s.ListWebhooks(ctx, 1, page.NextPageToken))(t)
	if len(page.Webhooks) != 1 || page.Webhooks[0].ID != second.ID || page.NextPageToken != "" {
		t.Errorf("page 2: %+v", page)
	}
	active := tracking.WebhookActive
	url := "http://localhost:2/y"
	upd := get(s.UpdateWebhook(ctx, tracking.UpdateWebhookParams{ID: second.ID, Status: &active, URL: &url}))(t)
	if upd.Status != tracking.WebhookActive || upd.URL != url || upd.Name != "second" || !upd.Subscribes(tracking.EventModelVersionAliasCreated) {
		t.Errorf("updated webhook: %+v", upd)
	}
	bad := "nope"
	_, err := s.UpdateWebhook(ctx, tracking.UpdateWebhookParams{ID: second.ID, URL: &bad})
	wantErr(t, err, tracking.ErrInvalid, "update to a bad URL")
	noErr(t, s.DeleteWebhook(ctx, w.ID))
	_, err = s.GetWebhook(ctx, w.ID)
	wantErr(t, err, tracking.ErrNotFound, "get a deleted webhook")
	wantErr(t, s.DeleteWebhook(ctx, w.ID), tracking.ErrNotFound, "delete a deleted webhook")
	if all := get(s.ListWebhooks(ctx, 0, ""))(t); len(all.Webhooks) != 1 {
		t.Errorf("after delete: %+v", all)
	}
}
