package cli

import (
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store/sqlite"
)

// nodeConfig is the node configuration every local command shares: this binary's store
// (its DAG and tracking sides), home, DAG folder, Go functions and DAGs. Callers set the
// mode and what is theirs.
func (a *app) nodeConfig(st *sqlite.Store, mode node.Mode) node.Config {
	return node.Config{
		Mode: mode, Store: st, Tracking: st.Tracking(), Home: a.home, DAGsDir: a.dagsDir,
		Funcs: a.opts.Funcs, ExtraKinds: a.opts.ExtraKinds, GoDAGs: a.opts.DAGs, Version: a.opts.Version,
	}
}
