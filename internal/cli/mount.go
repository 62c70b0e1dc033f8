package cli

import (
	"net/http"

	"github.com/weirhq/weir/server"
)

// mountAPI adds the REST API to the server's HTTP mux.
func mountAPI(s *server.Server, mux *http.ServeMux) error {
	return nil
}
