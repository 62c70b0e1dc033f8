// Package secrets keeps Airflow's variables and connections secret: encrypted at rest with
// AES-256-GCM (Keyring, KeySource: $WEIR_SECRET_KEY or a 0600 key file, rotation as
// Airflow's MultiFernet), resolved for tasks from the environment (AIRFLOW_VAR_<KEY>,
// AIRFLOW_CONN_<ID>) before the store (Service), and masked wherever a task's log, output or
// error is written or served (Masker, with Airflow's secrets_masker rules: values of
// sensitive names, none shorter than MinLength).
package secrets
