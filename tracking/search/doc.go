// Package search holds what every tracking store does the same way when it searches:
// checking MLflow's filter and order_by clauses (parsed by tracking.ParseFilter and
// tracking.ParseOrderBy) against what each search accepts, matching, ordering, and paging
// with opaque tokens. A store driver supplies data and SQL, not search logic.
//
// # Experiments and the registry
//
// Experiments, registered models and model versions are few (hundreds, not millions): the
// driver loads them all and Experiments, RegisteredModels and ModelVersions filter, sort
// and page them in memory. The clauses are checked before anything is loaded, so a bad
// filter is ErrInvalid whatever the store holds.
//
// # Runs
//
// Runs are many, so their search runs in SQL, and only the page's runs are loaded. Runs
// plans it: it turns the filter and order into one or two RunQuery values (the tables in
// nested-loop order, the conditions, the order, the page) in the model's terms, and pages
// through them with the driver's RunQuerier. The driver renders a RunQuery with one
// text/template of its dialect (Render gives the template its arguments through the
// functions arg, args and glob) and scans the rows; which SQL table holds a kind of key
// and which column an attribute is are the template's business. The join order is chosen
// here, not left to the database:
//
//   - with a param or tag equality filter, the loop starts from that key's rows of the
//     (key, value) index, usually the most selective;
//   - otherwise, ordered first by a metric, param or tag, it walks that key's index in
//     value order and stops after the page; the runs lacking the key come after (MLflow
//     sorts them last), from a second query whose page starts where the first's ends;
//   - otherwise it starts from the filters' tables, or from the runs of the experiments in
//     start-time order.
//
// Every order ends with start time descending, then run ID, so pages are stable.
//
// # Page tokens
//
// A page token is the offset of the page's first item (tracking.EncodePageToken); a
// malformed token is ErrInvalid. A token stays valid while the store changes, but the
// items it skips are those before it at the time of the next call.
package search
