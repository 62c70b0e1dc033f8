// Command weir is weir's single binary: it validates and runs DAGs, inspects runs and logs,
// and (in later issues) serves the API, the UI and models.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/weirhq/weir/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Options{Version: version})
	stop()
	os.Exit(code)
}
