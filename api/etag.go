package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// etagRoutes are the list operations the web UI polls: their answers carry an ETag (a hash
// of the body) and a request whose If-None-Match names it is answered 304 with no body, so a
// poll that finds nothing new costs the server its query but not the transfer, and the
// browser no parsing and no redraw.
var etagRoutes = map[string]bool{
	"/dags":                  true,
	"/dags/{dag_id}/dagRuns": true,
	"/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances":                      true,
	"/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/listMapped": true,
	"/dags/{dag_id}/tasks":                              true,
	"/dags/{dag_id}/dagRuns/{dag_run_id}/tasks":         true,
	"/dags/{dag_id}/dagRuns/{dag_run_id}/taskSummaries": true,
}

// etagged wraps h of route rt with ETags when rt is a GET of etagRoutes.
func etagged(rt route, h func(w http.ResponseWriter, r *http.Request) error) func(w http.ResponseWriter, r *http.Request) error {
	if rt.method != http.MethodGet || !etagRoutes[rt.path] {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		buf := &bufferedResponse{header: w.Header()}
		if err := h(buf, r); err != nil {
			return err
		}
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		if buf.status != http.StatusOK {
			w.WriteHeader(buf.status)
			_, _ = w.Write(buf.body.Bytes())
			return nil
		}
		sum := sha256.Sum256(buf.body.Bytes())
		tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		w.Header().Set("ETag", tag)
		w.Header().Set("Cache-Control", "no-cache") // revalidate every time: the state changes
		if noneMatch(r.Header.Get("If-None-Match"), tag) {
			w.Header().Del("Content-Type")
			w.Header().Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		w.Header().Set("Content-Length", strconv.Itoa(buf.body.Len()))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.body.Bytes())
		return nil
	}
}

// noneMatch reports whether an If-None-Match header names tag (or is "*"); weak tags
// compare by their opaque part, as RFC 9110 says for If-None-Match.
func noneMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
