package mlflowapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A large artifact uploaded in parts as MLflow's HttpArtifactRepository does with
// MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD (http_artifact_repo.py: create_multipart_upload,
// _upload_part, complete_multipart_upload, abort_multipart_upload): create at
// mpu/create/<artifact folder> with the local file's path and the number of parts, PUT each
// part to its credential's URL (parts in parallel, in any order), complete with the ETags
// the PUTs answered. Issue 12, point 17.
func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	h := setup(t)
	const partSize = 1000
	content := bytes.Repeat([]byte("0123456789abcdefghij"), 130) // 2600 bytes: 3 parts, the last short
	create := func(dir, local string, parts int) (string, []any) {
		t.Helper()
		out := h.ok("POST", "/api/2.0/mlflow-artifacts/mpu/create/"+dir, map[string]any{"path": local, "num_parts": parts})
		creds, _ := out["credentials"].([]any)
		id, _ := out["upload_id"].(string)
		if id == "" || len(creds) != parts {
			t.Fatalf("create: %v", out)
		}
		return id, creds
	}
	put := func(cred any, data []byte) string {
		t.Helper()
		c := cred.(map[string]any)
		url, _ := c["url"].(string)
		if !strings.HasPrefix(url, h.srv.URL+"/api/2.0/mlflow-artifacts/mpu/part/") {
			t.Fatalf("credential URL %q is not this server's part endpoint", url)
		}
		req, err := http.NewRequestWithContext(t.Context(), "PUT", url, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
			t.Fatalf("part %v: %d, ETag %q", c["part_number"], resp.StatusCode, resp.Header.Get("ETag"))
		}
		return resp.Header.Get("ETag")
	}
	id, creds := create("1/run/artifacts/model", "/home/ann/model.bin", 3)
	etags := make([]string, 3)
	for _, i := range []int{2, 0, 1} { // out of order, as parallel uploads finish
		etags[i] = put(creds[i], content[i*partSize:min((i+1)*partSize, len(content))])
	}
	parts := func(tags []string) []any {
		var ps []any
		for i, e := range tags {
			ps = append(ps, map[string]any{"part_number": i + 1, "etag": e, "url": fmt.Sprint(creds[i].(map[string]any)["url"])})
		}
		return ps
	}
	// A wrong ETag or a missing part is refused, and the upload can still complete.
	bad := append([]string{`"nope"`}, etags[1:]...)
	if status, out := h.call("POST", "/api/2.0/mlflow-artifacts/mpu/complete/1/run/artifacts/model", map[string]any{"path": "/home/ann/model.bin", "upload_id": id, "parts": parts(bad)}); status != 400 {
		t.Errorf("wrong ETag: %d %v", status, out)
	}
	if status, out := h.call("POST", "/api/2.0/mlflow-artifacts/mpu/complete/1/run/artifacts/other", map[string]any{"path": "/home/ann/model.bin", "upload_id": id, "parts": parts(etags)}); status != 400 {
		t.Errorf("complete at another path: %d %v", status, out)
	}
	h.ok("POST", "/api/2.0/mlflow-artifacts/mpu/complete/1/run/artifacts/model", map[string]any{"path": "/home/ann/model.bin", "upload_id": id, "parts": parts(etags)})
	resp, got := h.raw("GET", "/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model/model.bin", nil)
	if resp.StatusCode != 200 || !bytes.Equal(got, content) {
		t.Fatalf("assembled file: %d, %d bytes, want %d", resp.StatusCode, len(got), len(content))
	}
	if status, _ := h.call("POST", "/api/2.0/mlflow-artifacts/mpu/complete/1/run/artifacts/model", map[string]any{"path": "/home/ann/model.bin", "upload_id": id, "parts": parts(etags)}); status != 404 {
		t.Errorf("completing twice: %d, want 404", status)
	}

	// Abort deletes the parts; a part after abort is refused.
	id2, creds2 := create("1/run/artifacts", "big.bin", 2)
	put(creds2[0], []byte("first"))
	h.ok("POST", "/api/2.0/mlflow-artifacts/mpu/abort/1/run/artifacts", map[string]any{"path": "big.bin", "upload_id": id2})
	req, _ := http.NewRequestWithContext(t.Context(), "PUT", creds2[1].(map[string]any)["url"].(string), strings.NewReader("second"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 {
		t.Errorf("part after abort: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, _ := h.raw("GET", "/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/big.bin", nil); resp.StatusCode != 404 {
		t.Errorf("an aborted upload made a file: %d", resp.StatusCode)
	}

	// The parts' folder is not reachable through the artifact endpoints; bad requests name
	// what is wrong.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/2.0/mlflow-artifacts/artifacts/" + mpuFolder + "/x", "data"},
		{"GET", "/api/2.0/mlflow-artifacts/artifacts/" + mpuFolder + "/" + id2 + "/manifest.json", nil},
		{"DELETE", "/api/2.0/mlflow-artifacts/artifacts/" + mpuFolder, nil},
		{"POST", "/api/2.0/mlflow-artifacts/mpu/create/1/run", map[string]any{"path": "f.bin", "num_parts": 0}},
		{"POST", "/api/2.0/mlflow-artifacts/mpu/create/1/run", map[string]any{"num_parts": 2}},
		{"POST", "/api/2.0/mlflow-artifacts/mpu/create/" + mpuFolder, map[string]any{"path": "f.bin", "num_parts": 1}},
		{"POST", "/api/2.0/mlflow-artifacts/mpu/abort/1/run", map[string]any{"path": "f.bin", "upload_id": "../../etc"}},
	} {
		var status int
		if s, ok := c.body.(string); ok {
			resp, _ := h.raw(c.method, c.path, strings.NewReader(s))
			status = resp.StatusCode
		} else {
			status, _ = h.call(c.method, c.path, c.body)
		}
		if status != 400 {
			t.Errorf("%s %s: %d, want 400", c.method, c.path, status)
		}
	}
}
