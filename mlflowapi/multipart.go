package mlflowapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/weirhq/weir/tracking"
)

// Multipart upload of proxied artifacts (mlflow_artifacts.proto: mpu/create, mpu/complete,
// mpu/abort), so a client uploads a large file in parts, in parallel, each retried alone
// (MLflow's HttpArtifactRepository does it when MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD is
// set). MLflow answers create with presigned URLs of its cloud store; weir answers with URLs
// of its own part endpoint (PUT …/mlflow-artifacts/mpu/part/{upload_id}/{part_number}),
// which stores each part in the artifact store under mpuFolder/{upload_id}/ and answers its
// ETag. Complete concatenates the parts, in number order, into the file and deletes them;
// abort deletes them. The upload ID is 128 random bits: knowing it is the right to send
// parts, as a presigned URL is.

// mpuFolder is the artifact store folder holding the parts of unfinished uploads; clients
// cannot read or write there through the artifact endpoints.
const mpuFolder = "_weir_multipart_uploads"

// MaxMultipartParts bounds the parts of one upload (S3's limit).
const MaxMultipartParts = 10000

// mpuManifest is what create records of an upload: the file it makes.
type mpuManifest struct {
	Path     string `json:"path"`
	NumParts int64  `json:"num_parts"`
}

type mpuRequest struct {
	Path     string  `json:"path"`
	NumParts flexInt `json:"num_parts"`
	UploadID string  `json:"upload_id"`
	Parts    []struct {
		PartNumber flexInt `json:"part_number"`
		ETag       string  `json:"etag"`
	} `json:"parts"`
}

type wMPUCredential struct {
	URL        string            `json:"url"`
	PartNumber int64             `json:"part_number"`
	Headers    map[string]string `json:"headers,omitempty"`
}

// reservedArtifactPath reports whether p (clean) is in mpuFolder.
func reservedArtifactPath(p string) bool {
	return p == mpuFolder || strings.HasPrefix(p, mpuFolder+"/")
}

// mpuTarget returns the artifact path an upload makes: the folder of the URL joined with
// the base name of the request's "path" (the client's local file, as MLflow's stores name
// the destination).
func (a *API) mpuTarget(r *http.Request, req *mpuRequest) (string, error) {
	dir, err := tracking.CleanArtifactPath(r.PathValue("path"))
	if err != nil {
		return "", err
	}
	if req.Path == "" {
		return "", missing("path")
	}
	name := path.Base(strings.ReplaceAll(req.Path, "\\", "/"))
	if name == "." || name == "/" || name == ".." {
		return "", invalidParam("path %q names no file", req.Path)
	}
	target, err := tracking.CleanArtifactPath(path.Join(dir, name))
	if err == nil && reservedArtifactPath(target) {
		err = invalidParam("artifact path %q is reserved", target)
	}
	return target, err
}

func validUploadID(id string) bool {
	if len(id) != 36 || !strings.HasPrefix(id, "mpu-") {
		return false
	}
	_, err := hex.DecodeString(id[4:])
	return err == nil
}

// createMultipartUpload is POST …/mpu/create/{path}.
func (a *API) createMultipartUpload(r *http.Request) (any, error) {
	var req mpuRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	target, err := a.mpuTarget(r, &req)
	if err != nil {
		return nil, err
	}
	if req.NumParts < 1 || req.NumParts > MaxMultipartParts {
		return nil, invalidParam("Invalid value %d for parameter 'num_parts': want 1 to %d", req.NumParts, MaxMultipartParts)
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := "mpu-" + hex.EncodeToString(b)
	manifest, _ := json.Marshal(mpuManifest{Path: target, NumParts: int64(req.NumParts)})
	if _, err := a.art.Put(r.Context(), path.Join(mpuFolder, id, "manifest.json"), strings.NewReader(string(manifest))); err != nil {
		return nil, err
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	prefix := "/api/2.0/mlflow-artifacts"
	if strings.HasPrefix(r.URL.Path, "/ajax-api/") {
		prefix = "/ajax-api/2.0/mlflow-artifacts"
	}
	out := struct {
		UploadID    string           `json:"upload_id"`
		Credentials []wMPUCredential `json:"credentials"`
	}{UploadID: id}
	for n := int64(1); n <= int64(req.NumParts); n++ {
		out.Credentials = append(out.Credentials, wMPUCredential{
			URL: fmt.Sprintf("%s://%s%s/mpu/part/%s/%d", scheme, r.Host, prefix, id, n), PartNumber: n,
		})
	}
	return out, nil
}

// loadUpload returns the manifest of upload id, checking it makes target.
func (a *API) loadUpload(r *http.Request, id, target string) (*mpuManifest, error) {
	if !validUploadID(id) {
		return nil, invalidParam("Invalid value %q for parameter 'upload_id'", id)
	}
	f, _, err := a.art.Open(r.Context(), path.Join(mpuFolder, id, "manifest.json"))
	if err != nil {
		if errors.Is(err, tracking.ErrNotFound) {
			return nil, notFoundMsg(err, "No multipart upload %s: it was completed, aborted or never created", id)
		}
		return nil, err
	}
	defer f.Close()
	var m mpuManifest
	if err := json.NewDecoder(f).Decode(&m); err != nil {
		return nil, err
	}
	if target != "" && m.Path != target {
		return nil, invalidParam("multipart upload %s makes %s, not %s", id, m.Path, target)
	}
	return &m, nil
}

// uploadPart is PUT …/mpu/part/{upload_id}/{part_number}: it stores a part and answers its
// ETag (a digest of its content) in the ETag header.
func (a *API) uploadPart(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("upload_id")
	n, err := strconv.ParseInt(r.PathValue("part_number"), 10, 64)
	var m *mpuManifest
	if err != nil {
		err = invalidParam("Invalid part number %q", r.PathValue("part_number"))
	} else {
		m, err = a.loadUpload(r, id, "")
	}
	if err == nil && (n < 1 || n > m.NumParts) {
		err = invalidParam("part number %d is out of the upload's 1 to %d", n, m.NumParts)
	}
	if err != nil {
		a.writeErr(w, r, err)
		return
	}
	h := sha256.New()
	if _, err := a.art.Put(r.Context(), path.Join(mpuFolder, id, strconv.FormatInt(n, 10)), io.TeeReader(r.Body, h)); err != nil {
		if errors.Is(err, tracking.ErrArtifactTooLarge) {
			err = invalidParam("part is larger than the limit of %d bytes", a.artMaxSize)
		}
		a.writeErr(w, r, err)
		return
	}
	etag := partETag(h)
	if _, err := a.art.Put(r.Context(), path.Join(mpuFolder, id, strconv.FormatInt(n, 10)+".etag"), strings.NewReader(etag)); err != nil {
		a.writeErr(w, r, err)
		return
	}
	w.Header().Set("ETag", etag)
	a.serve(func(*http.Request) (any, error) { return nil, nil }).ServeHTTP(w, r)
}

func partETag(h hash.Hash) string { return `"` + hex.EncodeToString(h.Sum(nil))[:32] + `"` }

// completeMultipartUpload is POST …/mpu/complete/{path}: every part, each with the ETag
// its upload answered, makes the file.
func (a *API) completeMultipartUpload(r *http.Request) (any, error) {
	var req mpuRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	target, err := a.mpuTarget(r, &req)
	if err != nil {
		return nil, err
	}
	m, err := a.loadUpload(r, req.UploadID, target)
	if err != nil {
		return nil, err
	}
	if int64(len(req.Parts)) != m.NumParts {
		return nil, invalidParam("multipart upload %s has %d parts; complete names %d", req.UploadID, m.NumParts, len(req.Parts))
	}
	staging := path.Join(mpuFolder, req.UploadID)
	for i, p := range req.Parts {
		if int64(p.PartNumber) != int64(i+1) {
			return nil, invalidParam("parts must be listed in order 1 to %d; part %d is number %d", m.NumParts, i+1, p.PartNumber)
		}
		f, _, err := a.art.Open(r.Context(), path.Join(staging, strconv.Itoa(i+1)+".etag"))
		if err != nil {
			if errors.Is(err, tracking.ErrNotFound) {
				return nil, invalidParam("part %d of multipart upload %s was not uploaded", i+1, req.UploadID)
			}
			return nil, err
		}
		etag, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if p.ETag != string(etag) {
			return nil, invalidParam("part %d: ETag %s is not the uploaded part's %s", i+1, p.ETag, etag)
		}
	}
	if _, err := a.art.Put(r.Context(), target, &partsReader{r: r, a: a, staging: staging, n: m.NumParts}); err != nil {
		if errors.Is(err, tracking.ErrArtifactTooLarge) {
			err = invalidParam("artifact is larger than the limit of %d bytes", a.artMaxSize)
		}
		return nil, err
	}
	return nil, a.art.Delete(r.Context(), staging)
}

// partsReader reads the parts 1..n of an upload one after the other, opening each when the
// previous one ends.
type partsReader struct {
	r       *http.Request
	a       *API
	staging string
	n, next int64
	cur     io.ReadCloser
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if p.next >= p.n {
				return 0, io.EOF
			}
			p.next++
			f, _, err := p.a.art.Open(p.r.Context(), path.Join(p.staging, strconv.FormatInt(p.next, 10)))
			if err != nil {
				return 0, fmt.Errorf("part %d: %w", p.next, err)
			}
			p.cur = f
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			p.cur.Close()
			p.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// abortMultipartUpload is POST …/mpu/abort/{path}: the parts are deleted.
func (a *API) abortMultipartUpload(r *http.Request) (any, error) {
	var req mpuRequest
	if err := a.decode(r, &req); err != nil {
		return nil, err
	}
	target, err := a.mpuTarget(r, &req)
	if err != nil {
		return nil, err
	}
	if _, err := a.loadUpload(r, req.UploadID, target); err != nil {
		return nil, err
	}
	return nil, a.art.Delete(r.Context(), path.Join(mpuFolder, req.UploadID))
}
