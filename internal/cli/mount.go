package cli

import (
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/tracking"
)

// nodeConfig is the node configuration every local command shares: this binary's store,
// home, DAG folder, Go functions and DAGs. Callers set the mode and what is theirs.
func (a *app) nodeConfig(st store.Store, mode node.Mode) node.Config {
	return node.Config{
		Mode: mode, Store: st, Tracking: trackingStore(st), Home: a.home, DAGsDir: a.dagsDir,
		Funcs: a.opts.Funcs, GoDAGs: a.opts.DAGs, Version: a.opts.Version,
	}
}

// trackingStore returns the tracking side of the store the CLI opened (the SQLite store
// holds both); nil when it has none.
func trackingStore(st store.Store) tracking.Store {
	ts, _ := st.(tracking.Store)
	return ts
}
