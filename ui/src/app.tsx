import { useEffect, useState } from "preact/hooks";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { currentUser, rememberSession, request, setUnauthorizedHandler, v1 } from "./api";
import { Login } from "./views/login";
import { DagList } from "./views/dags";
import { Grid } from "./views/grid";
import { GraphView } from "./views/graph";
import { Trigger } from "./views/trigger";
import { Experiments, Runs } from "./views/experiments";
import { Compare } from "./views/compare";
import { Model, Models } from "./views/models";
import { Deployments } from "./views/deployments";
import { Datasets } from "./views/datasets";
import { Lineage } from "./views/lineage";
import { DeploymentPage } from "./views/deployments";
import { MonitorPage, Monitors } from "./views/monitors";
import { ApprovalBadge, Approvals } from "./views/approvals";
import { RunsBrowse } from "./views/runs";
import { Audit } from "./views/audit";
import { Code } from "./views/code";
import { Connections, Pools, Variables } from "./views/admin";

const nav: { href: string; label: string; match?: string }[] = [
  { href: "/dags", label: "DAGs" },
  { href: "/runs", label: "Runs" },
  { href: "/datasets", label: "Datasets" },
  { href: "/experiments", label: "Experiments" },
  { href: "/models", label: "Models" },
  { href: "/deployments", label: "Deployments" },
  { href: "/monitors", label: "Monitors" },
  { href: "/approvals", label: "Approvals" },
  { href: "/admin/variables", label: "Admin", match: "/admin" },
];

// The audit log is for admins: the link shows for them, and on a server without login
// (where the signed-in user is unknown, and the API answers everyone).
const isAdmin = () => !currentUser || currentUser.role === "admin";

function Nav() {
  const { path } = useLocation();
  return (
    <nav class="top" aria-label="Main">
      <a class="brand" href="/dags">
        weir
      </a>
      {[...nav, ...(isAdmin() ? [{ href: "/audit", label: "Audit" }] : [])].map((n) => (
        <a href={n.href} aria-current={path === (n.match || n.href) || path.startsWith((n.match || n.href) + "/") ? "page" : undefined}>
          {n.label}
          {n.href === "/approvals" && <ApprovalBadge />}
        </a>
      ))}
    </nav>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page here. <a href="/dags">Go to the DAGs.</a>
      </p>
    </section>
  );
}

function Home() {
  const { route } = useLocation();
  useEffect(() => route("/dags", true), []);
  return null;
}

type Auth = "checking" | "in" | "login";

export function App() {
  // A server with login (GET /api/v1/me answers 401) shows the login form first; one
  // without (today's loopback default: 404 or 200) goes straight in.
  const [auth, setAuth] = useState<Auth>("checking");
  useEffect(() => {
    setUnauthorizedHandler(() => setAuth("login"));
    request("GET", v1("/me"))
      .then((me) => {
        rememberSession(me);
        setAuth("in");
      })
      .catch((e) => setAuth(e.status === 401 ? "login" : "in"));
  }, []);
  if (auth === "checking") return <p class="muted">Loading…</p>;
  if (auth === "login") return <Login onDone={() => setAuth("in")} />;
  return (
    <LocationProvider>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Nav />
      <main id="main" tabIndex={-1}>
        <Router>
          <Route path="/" component={Home} />
          <Route path="/dags" component={DagList} />
          <Route path="/runs" component={RunsBrowse} />
          <Route path="/dags/:dag/grid" component={Grid} />
          <Route path="/dags/:dag/graph" component={GraphView} />
          <Route path="/dags/:dag/trigger" component={Trigger} />
          <Route path="/dags/:dag/code" component={Code} />
          <Route path="/datasets" component={Datasets} />
          <Route path="/experiments" component={Experiments} />
          <Route path="/experiments/:exp" component={Runs} />
          <Route path="/compare" component={Compare} />
          <Route path="/models" component={Models} />
          <Route path="/models/:name" component={Model} />
          <Route path="/deployments" component={Deployments} />
          <Route path="/models/:name/versions/:version" component={Lineage} />
          <Route path="/deployments/:name" component={DeploymentPage} />
          <Route path="/monitors" component={Monitors} />
          <Route path="/monitors/:name" component={MonitorPage} />
          <Route path="/approvals" component={Approvals} />
          <Route path="/audit" component={Audit} />
          <Route path="/admin" component={Variables} />
          <Route path="/admin/variables" component={Variables} />
          <Route path="/admin/connections" component={Connections} />
          <Route path="/admin/pools" component={Pools} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </LocationProvider>
  );
}
