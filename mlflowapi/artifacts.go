package mlflowapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// proxiedPath returns the artifact store path of a "mlflow-artifacts:" URI
// ("mlflow-artifacts:/1/abc/artifacts" or "mlflow-artifacts://host/1/abc/artifacts").
func proxiedPath(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, tracking.DefaultArtifactRoot)
	if !ok {
		return "", false
	}
	if h, ok := strings.CutPrefix(rest, "//"); ok {
		_, rest, _ = strings.Cut(h, "/")
	}
	return strings.TrimPrefix(rest, "/"), true
}

// listArtifacts is artifacts/list: the files directly under path in a run's artifacts,
// with paths relative to the run's artifact root.
func (a *API) listArtifacts(r *http.Request) (any, error) {
	var req struct {
		RunID     string `json:"run_id"`
		RunUUID   string `json:"run_uuid"`
		Path      string `json:"path"`
		PageToken string `json:"page_token"`
	}
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	if req.RunID == "" {
		req.RunID = req.RunUUID
	}
	if req.RunID == "" {
		return nil, missing("run_id")
	}
	run, err := a.svc.GetRun(r.Context(), req.RunID)
	if err != nil {
		return nil, runNotFound(err, req.RunID)
	}
	root, ok := proxiedPath(run.Info.ArtifactURI)
	if !ok {
		return nil, invalidParam("the artifacts of run %s are at %s, which this server does not serve", req.RunID, run.Info.ArtifactURI)
	}
	sub, err := tracking.CleanArtifactPath(req.Path)
	if err != nil {
		return nil, err
	}
	files, err := a.art.List(r.Context(), path.Join(root, sub))
	if err != nil {
		return nil, err
	}
	out := struct {
		RootURI string      `json:"root_uri"`
		Files   []wFileInfo `json:"files,omitempty"`
	}{RootURI: run.Info.ArtifactURI}
	for _, f := range files {
		out.Files = append(out.Files, fileInfo(strings.TrimPrefix(f.Path, root+"/"), f))
	}
	return out, nil
}

func fileInfo(p string, f tracking.ArtifactInfo) wFileInfo {
	w := wFileInfo{Path: p, IsDir: f.IsDir}
	if !f.IsDir {
		size := f.Size
		w.FileSize = &size
	}
	return w
}

// listProxy is GET /api/2.0/mlflow-artifacts/artifacts?path=P: the files directly under P,
// with paths relative to P.
func (a *API) listProxy(w http.ResponseWriter, r *http.Request) {
	dir, err := tracking.CleanArtifactPath(r.URL.Query().Get("path"))
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	files, err := a.art.List(r.Context(), dir)
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	out := struct {
		Files []wFileInfo `json:"files,omitempty"`
	}{}
	for _, f := range files {
		out.Files = append(out.Files, fileInfo(path.Base(f.Path), f))
	}
	a.serve(func(*http.Request) (any, error) { return out, nil }).ServeHTTP(w, r)
}

// download streams the artifact at the path of the URL.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	p, err := tracking.CleanArtifactPath(r.PathValue("path"))
	if err == nil && reservedArtifactPath(p) {
		err = invalidParam("artifact path %q is reserved for multipart uploads", p)
	}
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	a.sendArtifact(w, r, p)
}

// sendArtifact streams the artifact at p, a clean artifact store path, as an attachment.
func (a *API) sendArtifact(w http.ResponseWriter, r *http.Request, p string) {
	f, size, err := a.art.Open(r.Context(), p)
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	defer f.Close()
	ctype := mime.TypeByExtension(path.Ext(p))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", "attachment; filename=\""+strings.ReplaceAll(path.Base(p), `"`, "")+"\"")
	if _, err := io.Copy(w, f); err != nil {
		a.log.Debug("mlflowapi: artifact download interrupted", "path", p, "err", err)
	}
}

// upload streams the request body to the artifact at the path of the URL, refusing content
// past Config.MaxArtifactBytes.
func (a *API) upload(w http.ResponseWriter, r *http.Request) {
	p, err := tracking.CleanArtifactPath(r.PathValue("path"))
	if err == nil && p == "" {
		err = invalidParam("artifact path is empty")
	}
	if err == nil && reservedArtifactPath(p) {
		err = invalidParam("artifact path %q is reserved for multipart uploads", p)
	}
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	if a.artMaxSize > 0 && r.ContentLength > a.artMaxSize {
		a.writeErr(w, r, invalidParam("artifact of %d bytes is larger than the limit of %d bytes", r.ContentLength, a.artMaxSize))
		return
	}
	if _, err := a.art.Put(r.Context(), p, r.Body); err != nil {
		if errors.Is(err, tracking.ErrArtifactTooLarge) {
			err = invalidParam("artifact is larger than the limit of %d bytes", a.artMaxSize)
		}
		a.writeErr(w, r, err)
		return
	}
	a.serve(func(*http.Request) (any, error) { return nil, nil }).ServeHTTP(w, r)
}

// deleteArtifact deletes the file or folder at the path of the URL.
func (a *API) deleteArtifact(w http.ResponseWriter, r *http.Request) {
	a.serve(func(r *http.Request) (any, error) {
		p, err := tracking.CleanArtifactPath(r.PathValue("path"))
		if err == nil && reservedArtifactPath(p) {
			err = invalidParam("artifact path %q is reserved for multipart uploads", p)
		}
		if err != nil {
			return nil, err
		}
		return nil, a.art.Delete(r.Context(), p)
	}).ServeHTTP(w, r)
}
