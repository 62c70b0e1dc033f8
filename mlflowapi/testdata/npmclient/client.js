// Drives weir's MLflow API with the npm "mlflow" client (TestNPMClient runs it). It makes
// every call of the "Done when" list and prints one line "RESULT <json>" with what
// the server answered; any failure exits non-zero.
'use strict';
const MLflow = require('mlflow');

const endpoint = process.env.WEIR_MLFLOW_ENDPOINT;
// With MLFLOW_TRACKING_TOKEN set (a server requiring authentication), send it as MLflow's
// own clients do: Authorization: Bearer.
const token = process.env.MLFLOW_TRACKING_TOKEN;
const client = new MLflow({ endpoint, headers: token ? { Authorization: `Bearer ${token}` } : {} });
const { Experiments, Runs, Metrics, Artifacts } = client;

// The client logs every request body; keep stdout for the result.
console.log = (...args) => process.stderr.write(args.join(' ') + '\n');

(async () => {
  const out = {};
  const created = await Experiments.create({ name: 'npm-experiment' });
  out.experiment_id = created.experiment_id;
  const got = await Experiments.get({ experiment_id: created.experiment_id });
  out.experiment_name = got.experiment.name;
  const listed = await Experiments.list({});
  out.experiments = listed.experiments.map(e => e.name).sort();

  const run = await Runs.create({
    experiment_id: created.experiment_id,
    start_time: 1700000000000,
    tags: [{ key: 'mlflow.runName', value: 'npm-run' }],
  });
  const runId = run.run.info.run_id;
  out.run_name = run.run.info.run_name;
  out.artifact_uri = run.run.info.artifact_uri;
  await Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' });
  await Runs.logMetric({ run_id: runId, key: 'loss', value: 0.9, timestamp: 1700000000001, step: 0 });
  await Runs.logMetric({ run_id: runId, key: 'loss', value: 0.5, timestamp: 1700000000002, step: 1 });
  await Runs.logBatch({
    run_id: runId,
    metrics: [{ key: 'loss', value: 0.25, timestamp: 1700000000003, step: 2 }, { key: 'acc', value: 0.97, timestamp: 1700000000003, step: 2 }],
    params: [{ key: 'epochs', value: '3' }],
    tags: [{ key: 'framework', value: 'none' }],
  });
  await Runs.setTag({ run_id: runId, key: 'note', value: 'hello' });
  const updated = await Runs.update({ run_id: runId, status: 'FINISHED', end_time: 1700000000010 });
  out.status = updated.run_info.status;
  const fetched = await Runs.get({ run_id: runId });
  out.params = fetched.run.data.params;
  out.latest = fetched.run.data.metrics.map(m => [m.key, m.value, m.step]);

  const found = await Runs.search({
    experiment_ids: [created.experiment_id],
    filter: "metrics.acc > 0.9 AND params.lr = '0.01' AND attributes.status = 'FINISHED'",
    order_by: ['metrics.loss ASC'],
    max_results: 10,
  });
  out.search = found.runs.map(r => r.info.run_id === runId);
  const history = await Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
  out.history = history.metrics.map(m => [m.value, m.step]);
  // The npm client has no upload: put a file through the artifact proxy as Python's
  // mlflow does (mlflow-artifacts:/PATH is PUT to /api/2.0/mlflow-artifacts/artifacts/PATH).
  const proxied = out.artifact_uri.replace(/^mlflow-artifacts:\//, '');
  const put = await fetch(`${endpoint}/api/2.0/mlflow-artifacts/artifacts/${proxied}/notes/readme.txt`, { method: 'PUT', body: 'weir', headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (put.status !== 200) throw new Error('upload: ' + put.status);
  const artifacts = await Artifacts.list({ run_id: runId });
  const nested = await Artifacts.list({ run_id: runId, path: 'notes' });
  out.nested = nested.files.map(f => [f.path, f.is_dir, f.file_size]);
  out.artifacts_root = artifacts.root_uri;
  out.artifacts = (artifacts.files || []).map(f => [f.path, f.is_dir, f.file_size]);
  process.stdout.write('RESULT ' + JSON.stringify(out) + '\n');
})().catch(err => {
  process.stderr.write('FAILED ' + (err && err.stack || err) + '\n');
  process.exit(1);
});
