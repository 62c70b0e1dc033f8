package dag

import (
	"encoding/json"
	"slices"
	"time"
)

// DAG is one pipeline definition: a set of tasks and the dependencies between them. The YAML
// loader and the Go SDK both produce a *DAG; the engine only ever sees this model.
type DAG struct {
	// ID names the DAG. In YAML it defaults to the file name without its extension. It must
	// match [A-Za-z0-9_-]+ (no dots: dots separate group IDs from task IDs).
	ID string `json:"dag_id"`
	// Description is free text shown by `weir dags list`.
	Description string `json:"description,omitempty"`
	// Schedule is a cron expression, a preset ("@daily"), "every 30m", or empty for manual
	// only (see package schedule); `weir server` creates the runs.
	Schedule string `json:"schedule,omitempty"`
	// Timezone is the IANA zone the schedule's cron fields are read in (default UTC).
	Timezone string `json:"timezone,omitempty"`
	// StartDate and EndDate bound the scheduled runs' data intervals (zero: no bound).
	StartDate time.Time `json:"start_date,omitzero"`
	EndDate   time.Time `json:"end_date,omitzero"`
	// Catchup creates a run for every interval since StartDate (default false: only the
	// latest complete interval, Airflow 3's default).
	Catchup bool `json:"catchup,omitempty"`
	// PausedUponCreation, when set, says whether the DAG is recorded paused when a server
	// first sees it, overriding the server's setting (Airflow's is_paused_upon_creation).
	PausedUponCreation *bool `json:"is_paused_upon_creation,omitempty"`
	// MaxActiveRuns caps the queued and running runs of the DAG the scheduler creates
	// (default 16, Airflow's).
	MaxActiveRuns int `json:"max_active_runs,omitempty"`
	// Datasets schedules the DAG on dataset updates (Airflow's data-aware scheduling): a run
	// starts once the condition holds over the datasets updated since the last such run.
	// With a Schedule too, either triggers a run ("datasets or a time schedule").
	Datasets *DatasetCondition `json:"datasets,omitempty"`
	// SLA is how long a run is expected to take; past it the OnSLAMiss callbacks fire once.
	SLA Duration `json:"sla,omitempty"`
	// OnSLAMiss are the DAG's SLA-miss callbacks (for runs and, by default, tasks).
	OnSLAMiss []Callback `json:"on_sla_miss,omitempty"`
	// Tags are free labels for filtering.
	Tags []string `json:"tags,omitempty"`
	// Params are the run parameters, each with a JSON schema and an optional default.
	// Values given when a run is triggered are validated against the schemas.
	Params map[string]Param `json:"params,omitempty"`
	// Defaults are task options applied to every task that does not set them.
	Defaults TaskOptions `json:"defaults,omitempty"`
	// Tasks lists the tasks, each with its fully qualified ID (group prefix included).
	Tasks []*Task `json:"tasks"`
	// Groups lists the task groups by fully qualified ID.
	Groups []*Group `json:"groups,omitempty"`
	// RunTimeout fails a run that lasts longer than this (Airflow's dagrun_timeout). Zero
	// means no limit.
	RunTimeout Duration `json:"run_timeout,omitempty"`
	// OnFailure, OnSuccess are DAG-level callbacks fired when a run ends in that state.
	OnFailure []Callback `json:"on_failure,omitempty"`
	OnSuccess []Callback `json:"on_success,omitempty"`
	// MaxActiveTasks caps the task instances of one run running at once; 0 means no cap
	// beyond the executor's parallelism.
	MaxActiveTasks int `json:"max_active_tasks,omitempty"`
	// MaxMapLength caps how many instances one mapped task expands into (default 1024,
	// Airflow's core.max_map_length); an upstream whose output is longer fails.
	MaxMapLength int `json:"max_map_length,omitempty"`

	// Source is where the DAG was defined: a YAML file path, or "go:<package>" for the SDK.
	Source string `json:"source,omitempty"`
}

// DatasetCondition is a condition over dataset updates: a dataset URI, an asset alias, or
// all / any of nested conditions. Exactly one field is set.
//
// An alias (Airflow 3's AssetAlias) stands for the assets tasks added through it at run
// time; it holds when any of them was updated, and never while it resolves to none
// (Resolve replaces it by them).
type DatasetCondition struct {
	URI   string             `json:"uri,omitempty"`
	Alias string             `json:"alias,omitempty"`
	All   []DatasetCondition `json:"all,omitempty"`
	Any   []DatasetCondition `json:"any,omitempty"`
}

// Eval reports whether the condition holds given the URIs updated.
func (c *DatasetCondition) Eval(updated map[string]bool) bool {
	switch {
	case c == nil:
		return false
	case c.URI != "":
		return updated[c.URI]
	case len(c.All) > 0:
		for i := range c.All {
			if !c.All[i].Eval(updated) {
				return false
			}
		}
		return true
	case len(c.Any) > 0:
		for i := range c.Any {
			if c.Any[i].Eval(updated) {
				return true
			}
		}
	}
	return false
}

// Resolve returns the condition with each alias replaced by any of the URIs it resolves to
// in links (alias → URIs); an alias without URIs stays (and never holds). c is unchanged.
func (c *DatasetCondition) Resolve(links map[string][]string) *DatasetCondition {
	if c == nil {
		return nil
	}
	switch {
	case c.Alias != "":
		uris := links[c.Alias]
		if len(uris) == 0 {
			return &DatasetCondition{Alias: c.Alias}
		}
		r := &DatasetCondition{}
		for _, u := range uris {
			r.Any = append(r.Any, DatasetCondition{URI: u})
		}
		return r
	case len(c.All) > 0 || len(c.Any) > 0:
		r := &DatasetCondition{}
		for i := range c.All {
			r.All = append(r.All, *c.All[i].Resolve(links))
		}
		for i := range c.Any {
			r.Any = append(r.Any, *c.Any[i].Resolve(links))
		}
		return r
	}
	return &DatasetCondition{URI: c.URI}
}

// Aliases lists every asset alias the condition mentions, without repeats, in order.
func (c *DatasetCondition) Aliases() []string {
	var out []string
	var walk func(x *DatasetCondition)
	walk = func(x *DatasetCondition) {
		if x == nil {
			return
		}
		if x.Alias != "" && !slices.Contains(out, x.Alias) {
			out = append(out, x.Alias)
		}
		for i := range x.All {
			walk(&x.All[i])
		}
		for i := range x.Any {
			walk(&x.Any[i])
		}
	}
	walk(c)
	return out
}

// URIs lists every dataset URI the condition mentions, without repeats, in order.
func (c *DatasetCondition) URIs() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(x *DatasetCondition)
	walk = func(x *DatasetCondition) {
		if x == nil {
			return
		}
		if x.URI != "" && !seen[x.URI] {
			seen[x.URI] = true
			out = append(out, x.URI)
		}
		for i := range x.All {
			walk(&x.All[i])
		}
		for i := range x.Any {
			walk(&x.Any[i])
		}
	}
	walk(c)
	return out
}

// String writes the condition with & and |, as Airflow prints dataset expressions.
func (c *DatasetCondition) String() string {
	if c == nil {
		return ""
	}
	if c.URI != "" {
		return c.URI
	}
	if c.Alias != "" {
		return "alias(" + c.Alias + ")"
	}
	parts, op := c.All, " & "
	if len(c.Any) > 0 {
		parts, op = c.Any, " | "
	}
	var b []byte
	b = append(b, '(')
	for i := range parts {
		if i > 0 {
			b = append(b, op...)
		}
		b = append(b, parts[i].String()...)
	}
	return string(append(b, ')'))
}

// Param is one DAG run parameter.
type Param struct {
	// Schema is a JSON schema (draft 2020-12) the value must satisfy. It may hold "default"
	// and "description" like any JSON schema.
	Schema map[string]any `json:"schema"`
}

// Default returns the schema's "default" value and whether it has one.
func (p Param) Default() (any, bool) {
	v, ok := p.Schema["default"]
	return v, ok
}

// Group is a task group: a namespace for task IDs that other tasks and groups can depend on
// as a whole. Depending on a group means depending on its leaves (its tasks with no
// downstream inside the group); a group's upstreams become upstreams of its roots.
type Group struct {
	// ID is the fully qualified group ID ("outer.inner").
	ID string `json:"group_id"`
	// Tasks are the fully qualified IDs of the tasks directly or indirectly in this group.
	Tasks []string `json:"tasks"`
	// Upstream lists the tasks or groups (fully qualified) this group depends on.
	Upstream []string `json:"upstream,omitempty"`
	// Mapping makes the group a mapped task group: the whole group runs once per item,
	// instance i of each task depending on instance i of its upstreams in the group.
	Mapping
}

// Mapping is dynamic task mapping (Airflow's expand / expand_kwargs / partial), on a task or
// a task group. Each instance's arguments (the partial ones merged with its item) are the
// "args" template variable and, for a go task without args of its own, the function's input.
type Mapping struct {
	// Expand maps argument names to what they range over: a literal list or map, or a
	// template whose value is one ("{{ outputs.grid }}"). Several names give the cross
	// product. A map ranges over its [key, value] pairs.
	Expand map[string]any `json:"expand,omitempty"`
	// ExpandKwargs ranges over a list of argument objects (a literal or a template).
	ExpandKwargs any `json:"expand_kwargs,omitempty"`
	// Partial holds arguments fixed for every instance.
	Partial map[string]any `json:"partial,omitempty"`
	// MapIndexTemplate names each instance ("lr={{ args.lr }}"), shown beside its map index.
	MapIndexTemplate string `json:"map_index_template,omitempty"`
}

// IsMapped reports whether the mapping expands anything.
func (m *Mapping) IsMapped() bool { return m.Expand != nil || m.ExpandKwargs != nil }

// TeardownSpec makes a task the teardown of setup tasks.
type TeardownSpec struct {
	// Setups are the setup tasks this teardown tears down (fully qualified); they become its
	// upstreams. Its trigger rule is all_done_setup_success and cannot be changed.
	Setups []string `json:"setups"`
	// OnFailureFailDagrun makes the teardown count for the run's state (by default a
	// teardown's failure does not fail the run).
	OnFailureFailDagrun bool `json:"on_failure_fail_dagrun,omitempty"`
}

// BranchSpec makes a task a branch: when it succeeds, its direct downstreams not chosen are
// skipped. The choice is a task or group id, a list of them, or null (skip all).
type BranchSpec struct {
	// Expr is an expression (without braces) over params and upstream outputs whose value is
	// the choice; the task then has kind "branch". Empty means the task's own output (a
	// command or go task) is the choice.
	Expr string `json:"expr,omitempty"`
}

// ShortCircuitSpec makes a task a short-circuit: when its condition is false, what is
// downstream is skipped.
type ShortCircuitSpec struct {
	// Expr is the condition expression (kind "short_circuit"); empty means the task's own
	// output is the condition (false, null, 0, "", [] and {} are false).
	Expr string `json:"expr,omitempty"`
	// IgnoreDownstreamTriggerRules (default true) skips every task downstream; false skips
	// only the direct downstreams and lets trigger rules decide for the rest.
	IgnoreDownstreamTriggerRules *bool `json:"ignore_downstream_trigger_rules,omitempty"`
}

// Kind names of the built-in task kinds.
const (
	KindCommand = "command"
	KindHTTP    = "http"
	KindGo      = "go"
	// KindBranch evaluates a branch expression (Task.Branch.Expr) in the engine.
	KindBranch = "branch"
	// KindShortCircuit evaluates a short-circuit condition (Task.ShortCircuit.Expr).
	KindShortCircuit = "short_circuit"
	// KindLatestOnly skips its direct downstreams unless the run is the DAG's latest.
	KindLatestOnly = "latest_only"
	// KindSensor waits for a condition (Task.Sensor); package sensor implements it.
	KindSensor = "sensor"
)

// Task is one node of a DAG.
type Task struct {
	// ID is the fully qualified task ID: group IDs joined by dots, then the task's own ID.
	ID string `json:"task_id"`
	// Group is the fully qualified ID of the innermost group holding the task, or "".
	Group string `json:"group,omitempty"`
	// Kind selects the task kind: one of the LoadOptions.Kinds (command, http, go, sensor
	// and any other registered kind) or an engine kind (branch, short_circuit, latest_only).
	Kind string `json:"kind"`
	// Upstream lists fully qualified task IDs this task depends on (groups are already
	// expanded to their leaves by the loader).
	Upstream []string `json:"upstream,omitempty"`
	// TriggerRule decides when the task runs given its upstream states; default all_success.
	TriggerRule TriggerRule `json:"trigger_rule,omitempty"`

	// Command is the spec of a "command" task.
	Command *CommandSpec `json:"command,omitempty"`
	// HTTP is the spec of an "http" task.
	HTTP *HTTPSpec `json:"http,omitempty"`
	// Go is the spec of a "go" task.
	Go *GoSpec `json:"go,omitempty"`
	// Sensor is the spec of a "sensor" task.
	Sensor *SensorSpec `json:"sensor,omitempty"`
	// Spec is the spec of a task of any other registered kind: a pointer to the struct its
	// KindDef.New returns (the built-in kinds above keep theirs in their typed fields).
	Spec any `json:"spec,omitempty"`

	// Setup marks a setup task: it creates what the tasks in its scope need.
	Setup bool `json:"setup,omitempty"`
	// Teardown, when set, marks a teardown task of the given setups.
	Teardown *TeardownSpec `json:"teardown,omitempty"`
	// Branch, when set, makes the task a branch.
	Branch *BranchSpec `json:"branch,omitempty"`
	// ShortCircuit, when set, makes the task a short-circuit.
	ShortCircuit *ShortCircuitSpec `json:"short_circuit,omitempty"`
	// Mapping maps the task over its inputs (dynamic task mapping).
	Mapping
	// MaxActiveTIsPerDAG caps the running instances of this task across all active runs of
	// its DAG; 0 means no cap.
	MaxActiveTIsPerDAG int `json:"max_active_tis_per_dag,omitempty"`
	// OutletAliases are the asset aliases the task adds assets through at run time
	// (Airflow's outlets=[AssetAlias(...)] and outlet_events[...].add(Asset(...))): when it
	// succeeds, its output's "outlet_events" object names, per alias, the dataset URIs
	// updated through it; each gets an event, and the alias resolves to it from then on.
	OutletAliases []string `json:"outlet_aliases,omitempty"`
	// Outlets are the datasets the task updates: when it succeeds, one event per URI is
	// recorded (with the "dataset_extra" object of its output, if any, as extra).
	Outlets []string `json:"outlets,omitempty"`
	// Inlets are the datasets the task reads: shown in lineage, and, for a task with cache:
	// true, part of its cache key (a local file's or folder's content is hashed).
	Inlets []string `json:"inlets,omitempty"`

	// TaskOptions holds the options that DAG defaults can also set.
	TaskOptions

	// Pos is where the task is defined (YAML only), for error messages.
	Pos Pos `json:"-"`

	// def is the kind the loader found the task's spec with (nil for tasks built in Go).
	def *kindReg
}

// TaskOptions are the per-task options that a DAG's defaults may provide. A nil pointer or a
// zero value means "not set here"; Resolve applies the DAG defaults then the built-in ones.
type TaskOptions struct {
	// Retries is how many times a failed try is retried (0 by default).
	Retries *int `json:"retries,omitempty"`
	// RetryDelay is the wait before the first retry (default 300 s, as in Airflow).
	RetryDelay *Duration `json:"retry_delay,omitempty"`
	// RetryExponentialBackoff doubles the delay for each further try (delay × 2^(try−1)).
	RetryExponentialBackoff *bool `json:"retry_exponential_backoff,omitempty"`
	// MaxRetryDelay caps the backoff delay (default 24 h).
	MaxRetryDelay *Duration `json:"max_retry_delay,omitempty"`
	// Timeout limits each try; a try past it is killed (its whole process group) and fails,
	// and may be retried. Zero means no limit.
	Timeout *Duration `json:"timeout,omitempty"`
	// Pool is the named pool whose slots the task takes while running ("default_pool").
	Pool string `json:"pool,omitempty"`
	// PoolSlots is how many slots of the pool one instance takes (default 1).
	PoolSlots *int `json:"pool_slots,omitempty"`
	// PriorityWeight orders ready tasks competing for slots, higher first (default 1).
	PriorityWeight *int `json:"priority_weight,omitempty"`
	// WeightRule is how the effective priority is computed from PriorityWeight: "downstream"
	// (default: own weight plus all downstream weights), "upstream", or "absolute".
	WeightRule string `json:"weight_rule,omitempty"`
	// OnFailure, OnRetry, OnSuccess are callbacks fired after the transition is committed.
	OnFailure []Callback `json:"on_failure,omitempty"`
	OnRetry   []Callback `json:"on_retry,omitempty"`
	OnSuccess []Callback `json:"on_success,omitempty"`
	// OutputLimit is the maximum size in bytes of the task's JSON output (default 1 MiB).
	OutputLimit *int `json:"output_limit,omitempty"`
	// Track opens an experiment-tracking run for each try (MLflow's model: experiment = the
	// DAG ID, the try's run nested under a parent run of the DAG run); command tasks get
	// MLFLOW_TRACKING_URI, MLFLOW_RUN_ID and MLFLOW_EXPERIMENT_ID, Go tasks a client.
	Track *bool `json:"track,omitempty"`
	// SLA is how long a try is expected to run; past it the OnSLAMiss callbacks fire once.
	SLA *Duration `json:"sla,omitempty"`
	// OnSLAMiss are the task's SLA-miss callbacks (default: the DAG's).
	OnSLAMiss []Callback `json:"on_sla_miss,omitempty"`
	// Cache reuses the task's last successful result instead of running it again while its
	// cache key is unchanged: its definition, rendered arguments, run params, upstream
	// outputs and the content of the files it reads (inlets, file arguments of commands,
	// inputs its kind declares). Default false. Sensors and the engine's kinds (branch,
	// short_circuit, latest_only) are never cached. See docs/dag-yaml.md, "Result caching".
	Cache *bool `json:"cache,omitempty"`
}

// CommandSpec runs a program or a shell script in a subprocess. Exactly one of Argv and
// Script is set. Every string is a template.
type CommandSpec struct {
	// Argv is the program and its arguments, run without a shell.
	Argv []string `json:"argv,omitempty" yaml:"command,lenient" template:"true" doc:"The program and its arguments, run without a shell." scalar:"got a string, want a list (the program and its arguments); for a shell command line use script"`
	// Script is a shell script run with Shell (default "bash -euo pipefail -c" when bash
	// exists, else "sh -e -c").
	Script string `json:"script,omitempty" yaml:"script" template:"true" doc:"A shell script, run with shell (default bash -eo pipefail -c, else sh -e -c)."`
	// Shell overrides the interpreter for Script, e.g. ["python3", "-c"].
	Shell []string `json:"shell,omitempty" yaml:"shell,lenient" doc:"The interpreter of script, e.g. [python3, -c]."`
	// Env adds environment variables to the inherited environment.
	Env map[string]string `json:"env,omitempty" yaml:"env" template:"true" doc:"Environment variables added to the inherited environment."`
	// EnvFrom puts variables and connections in the environment when the task runs:
	// "var:KEY" (as AIRFLOW_VAR_KEY), "conn:ID" (its URI, as AIRFLOW_CONN_ID),
	// "NAME=var:KEY", "NAME=conn:ID" or "NAME=conn:ID.FIELD" (see ParseEnvRef).
	EnvFrom []string `json:"env_from,omitempty" yaml:"env_from,lenient" doc:"Variables and connections put in the environment when the task runs: var:KEY (as AIRFLOW_VAR_KEY), conn:ID (its URI, as AIRFLOW_CONN_ID), or NAME=var:KEY, NAME=conn:ID, NAME=conn:ID.password (host, login, port, schema, extra, conn_type); masked in the task's log."`
	// Dir is the working directory, relative to the DAG file's folder (default: that folder).
	Dir string `json:"dir,omitempty" yaml:"dir" template:"true" doc:"The working directory, relative to the DAG file's folder (default: that folder)."`
	// SkipExitCodes makes the task skipped when the process exits with one of these
	// (default [99], as Airflow's BashOperator).
	SkipExitCodes []int `json:"skip_exit_codes,omitempty" yaml:"skip_exit_codes" doc:"Exit codes that make the task skipped (default [99])."`
	// FailFastExitCodes makes the task fail without further retries (default [98]).
	FailFastExitCodes []int `json:"fail_fast_exit_codes,omitempty" yaml:"fail_fast_exit_codes" doc:"Exit codes that fail the task without retries (default [98])."`
}

// HTTPSpec sends one HTTP request. URL, header values and Body are templates.
type HTTPSpec struct {
	// Method is the HTTP method (default GET).
	Method string `json:"method,omitempty" yaml:"method" doc:"The HTTP method (default GET)."`
	// URL is the absolute request URL.
	URL string `json:"url" yaml:"url" template:"true" required:"the request URL is required" doc:"The absolute http(s) request URL."`
	// Headers are request headers.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers" template:"true" doc:"Request headers."`
	// Body is the request body.
	Body string `json:"body,omitempty" yaml:"body,lenient" template:"true" doc:"The request body."`
	// ExpectStatus lists the status codes that count as success (default: any 2xx).
	ExpectStatus []int `json:"expect_status,omitempty" yaml:"expect_status" doc:"Status codes that count as success (default: any 2xx)."`
}

// GoSpec calls a Go function registered through the SDK.
type GoSpec struct {
	// Func is the registered function name.
	Func string `json:"func" yaml:"go" required:"custom" doc:"The name of a Go function registered through the SDK."`
	// Args is the function's input, as JSON-compatible values; string leaves are templates,
	// and a string that is exactly one "{{ expr }}" keeps the expression's typed value.
	Args any `json:"args,omitempty" yaml:"args" template:"value" doc:"The function's input (JSON-like); string leaves are templates, and a string that is exactly one {{ expr }} keeps its typed value."`
}

// Sensor types: what a sensor task waits for.
const (
	// SensorFile waits for a local file (SensorSpec.Path, a glob) or a blob (SensorSpec.URL).
	SensorFile = "file"
	// SensorDataset waits for an event of a dataset (SensorSpec.URI) after the run's
	// logical date.
	SensorDataset = "dataset"
	// SensorExternalTask waits for a task (or the whole run) of another DAG's run with the
	// same logical date (Airflow's ExternalTaskSensor).
	SensorExternalTask = "external_task"
	// SensorHTTP waits for an HTTP response with an expected status and condition.
	SensorHTTP = "http"
	// SensorExpr waits for an expression over the template variables to be true.
	SensorExpr = "expr"
)

// SensorTypes lists the valid sensor types.
var SensorTypes = []string{SensorFile, SensorDataset, SensorExternalTask, SensorHTTP, SensorExpr}

// Sensor modes.
const (
	// SensorPoke keeps the try (and its slot) between checks, sleeping PokeInterval.
	SensorPoke = "poke"
	// SensorReschedule checks once per try: while the condition is false the instance waits
	// in up_for_reschedule and holds no slot.
	SensorReschedule = "reschedule"
)

// Sensor defaults (Airflow's).
const (
	// DefaultPokeInterval is the wait between two checks: 60 seconds.
	DefaultPokeInterval = Duration(60 * time.Second)
	// DefaultSensorTimeout is how long a sensor waits in all: 7 days.
	DefaultSensorTimeout = Duration(7 * 24 * time.Hour)
)

// SensorSpec is a sensor: a task that succeeds once a condition holds (Airflow's sensors).
// Type selects the condition and which fields apply. Path, URL, URI, DAGID, TaskID and header
// values are templates ("/data/{{ ds }}/in.csv"); Condition is an expression (no braces).
type SensorSpec struct {
	// Type is file, dataset, external_task, http or expr (SensorTypes). Required.
	Type string `json:"type" yaml:"type" required:"custom" doc:"What to wait for: file, dataset, external_task, http or expr."`

	// Path (file) is a local path, relative to the DAG file's folder, and may be a glob
	// (*, ?, [...]; no **). It matches a file, or a directory holding at least one file.
	Path string `json:"path,omitempty" yaml:"path" template:"true" doc:"(file) A local path or glob, relative to the DAG file's folder."`
	// URL is, for a file sensor instead of Path, a blob URL whose key must exist
	// ("file:///data/in.csv", "s3://bucket/key?region=…", "mem://"); its key may be a glob.
	// For an http sensor it is the absolute http(s) URL to request.
	URL string `json:"url,omitempty" yaml:"url" template:"true" doc:"(file) A blob URL whose key must exist, instead of path; (http) the URL to request."`

	// URI (dataset) is the dataset whose event the sensor waits for: an event with a
	// timestamp after the run's logical date.
	URI string `json:"uri,omitempty" yaml:"uri" template:"true" doc:"(dataset) The dataset whose event after the run's logical date ends the wait."`

	// DAGID (external_task) is the other DAG; its run with the same logical date (minus
	// ExecutionDelta) is watched.
	DAGID string `json:"dag_id,omitempty" yaml:"dag_id" template:"true" doc:"(external_task) The other DAG."`
	// TaskID (external_task) is the other DAG's task; empty means the whole run.
	TaskID string `json:"task_id,omitempty" yaml:"task_id" template:"true" doc:"(external_task) The other DAG's task; empty: its whole run."`
	// States (external_task) are the states that satisfy the sensor (default [success]):
	// task instance states, or run states when TaskID is empty. Every instance of a mapped
	// task must be in one of them.
	States []string `json:"states,omitempty" yaml:"states,single" doc:"(external_task) States that satisfy the sensor (default [success])."`
	// FailedStates (external_task) make the sensor fail at once, without retry, or skip
	// with SoftFail (empty: the default, [failed, upstream_failed], or [failed] for a whole
	// run).
	FailedStates []string `json:"failed_states,omitempty" yaml:"failed_states,single" doc:"(external_task) States that fail the sensor at once."`
	// ExecutionDelta (external_task) is subtracted from the run's logical date to find the
	// other DAG's run (default 0: the same logical date).
	ExecutionDelta Duration `json:"execution_delta,omitempty" yaml:"execution_delta" doc:"(external_task) Subtracted from the logical date to find the other run (default 0)."`

	// Method (http) is the request method (default GET).
	Method string `json:"method,omitempty" yaml:"method" doc:"(http) The request method (default GET)."`
	// Headers (http) are request headers.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers" template:"true" doc:"(http) Request headers."`
	// ExpectStatus (http) lists the status codes that may satisfy the sensor (default any
	// 2xx); other codes and connection errors mean "not yet".
	ExpectStatus []int `json:"expect_status,omitempty" yaml:"expect_status" doc:"(http) Status codes that may satisfy the sensor (default any 2xx)."`
	// Condition is, for an http sensor, an optional expression over the response (status,
	// headers, body: parsed JSON, else the text) that must be true too; for an expr sensor,
	// the expression over the template variables (params, conf, outputs, ds, now() …) that
	// ends the wait when true.
	Condition string `json:"condition,omitempty" yaml:"condition" doc:"(http) An expression over status, headers and body that must be true too; (expr) the expression that ends the wait."`

	// PokeInterval is the wait between two checks (default 60 s).
	PokeInterval Duration `json:"poke_interval,omitempty" yaml:"poke_interval" doc:"The wait between two checks (default 60s)."`
	// Timeout is how long the sensor may wait in all, counted from its first check (zero:
	// the default, 7 days). Past it the task fails without retry, or is skipped with
	// SoftFail.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout" doc:"How long the sensor may wait in all (default 7 days)."`
	// Mode is poke (default: the try holds its slot and sleeps between checks) or
	// reschedule (one check per try; the slot is freed between checks).
	Mode string `json:"mode,omitempty" yaml:"mode" doc:"poke (hold the slot between checks, default) or reschedule (free it)."`
	// SoftFail skips the task instead of failing it when the timeout passes or an external
	// task reaches a failed state.
	SoftFail bool `json:"soft_fail,omitempty" yaml:"soft_fail" doc:"Skip instead of failing on timeout or a failed external task."`
	// ExponentialBackoff doubles the wait after each check (PokeInterval × 2^(n−1) after
	// check n), capped by the time left before Timeout.
	ExponentialBackoff bool `json:"exponential_backoff,omitempty" yaml:"exponential_backoff" doc:"Double the wait after each check."`
}

// Callback is a command or a webhook fired on a task or run event. Exactly one is set.
type Callback struct {
	// Command is run with the event as JSON on stdin and WEIR_EVENT_* variables.
	Command []string `json:"command,omitempty"`
	// Webhook receives the event as a JSON POST.
	Webhook string `json:"webhook,omitempty"`
}

// Pos is a position in a source file, 1-based.
type Pos struct {
	File   string
	Line   int
	Column int
}

// Duration is a time.Duration that reads and writes as a Go duration string ("1m30s") in
// YAML and JSON, and also accepts a number of seconds.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string like "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "1m30s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s any
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// TriggerRule is one of Airflow's trigger rules.
type TriggerRule string

// The trigger rules, with Airflow's names and meanings.
const (
	AllSuccess              TriggerRule = "all_success"
	AllFailed               TriggerRule = "all_failed"
	AllDone                 TriggerRule = "all_done"
	AllDoneMinOneSuccess    TriggerRule = "all_done_min_one_success"
	AllSkipped              TriggerRule = "all_skipped"
	OneSuccess              TriggerRule = "one_success"
	OneFailed               TriggerRule = "one_failed"
	OneDone                 TriggerRule = "one_done"
	NoneFailed              TriggerRule = "none_failed"
	NoneFailedMinOneSuccess TriggerRule = "none_failed_min_one_success"
	NoneSkipped             TriggerRule = "none_skipped"
	Always                  TriggerRule = "always"
	AllDoneSetupSuccess     TriggerRule = "all_done_setup_success"
)

// TriggerRules lists every valid trigger rule.
var TriggerRules = []TriggerRule{AllSuccess, AllFailed, AllDone, AllDoneMinOneSuccess, AllSkipped,
	OneSuccess, OneFailed, OneDone, NoneFailed, NoneFailedMinOneSuccess, NoneSkipped, Always,
	AllDoneSetupSuccess}

// Valid reports whether r is one of TriggerRules.
func (r TriggerRule) Valid() bool {
	for _, v := range TriggerRules {
		if r == v {
			return true
		}
	}
	return false
}
