package api_test

import (
	"strings"
	"testing"

	"github.com/weirhq/weir/api/client"
)

// Variables and connections: answers mask secrets for every caller; reveal answers them.
func TestVariablesAndConnections(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var v client.Variable
	e.json("POST", "/variables", `{"key":"db_password","value":"hunter2-long","description":"the DB"}`, 200, &v)
	if v.Value != "***" || !v.Masked {
		t.Errorf("created %+v: want the value masked (its key names a password)", v)
	}
	e.json("POST", "/variables", `{"key":"region","value":"eu-west-1"}`, 200, &v)
	e.json("POST", "/variables", `{"key":"cfg","value":"{\"a\":1}","is_secret":true}`, 200, &v)
	e.json("GET", "/variables/region", "", 200, &v)
	if v.Value != "eu-west-1" || v.Masked {
		t.Errorf("get region %+v: want the value (not secret)", v)
	}
	e.json("GET", "/variables/cfg", "", 200, &v)
	if v.Value != "***" {
		t.Errorf("get cfg %+v: want masked (is_secret)", v)
	}
	e.json("POST", "/variables/db_password/reveal", `{}`, 200, &v)
	if v.Value != "hunter2-long" || v.Masked {
		t.Errorf("reveal %+v", v)
	}
	var vc client.VariableCollection
	e.json("GET", "/variables", "", 200, &vc)
	if vc.TotalEntries != 3 || strings.Contains(string(e.do("GET", "/variables", "").body), "hunter2") {
		t.Errorf("list %+v", vc)
	}
	e.problem("POST", "/variables", `{"key":"x","value":"***"}`, 400, client.CodeInvalidField, "value")
	e.problem("POST", "/variables", `{"value":"v"}`, 400, client.CodeInvalidField, "key")
	if a := e.do("DELETE", "/variables/region", ""); a.status != 204 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	e.problem("GET", "/variables/region", "", 404, client.CodeNotFound, "")
	e.problem("DELETE", "/variables/region", "", 404, client.CodeNotFound, "")
	e.problem("POST", "/variables/region/reveal", `{}`, 404, client.CodeNotFound, "")

	var c client.Connection
	e.json("POST", "/connections", `{"connection_id":"wh","conn_type":"postgres","host":"db","port":5432,"login":"etl",
		"password":"s3cret-pw","extra":"{\"sslmode\":\"require\",\"api_key\":\"k-123456\"}"}`, 200, &c)
	if *c.Password != "***" || !strings.Contains(*c.Extra, `"api_key":"***"`) || !strings.Contains(*c.Extra, "require") {
		t.Errorf("created %+v", c)
	}
	e.json("GET", "/connections/wh", "", 200, &c)
	if *c.Password != "***" || *c.Host != "db" || *c.Port != 5432 {
		t.Errorf("get %+v", c)
	}
	e.json("POST", "/connections/wh/reveal", `{}`, 200, &c)
	if *c.Password != "s3cret-pw" || !strings.Contains(*c.Extra, "k-123456") {
		t.Errorf("reveal %+v", c)
	}
	var cc client.ConnectionCollection
	e.json("GET", "/connections", "", 200, &cc)
	if cc.TotalEntries != 1 || strings.Contains(string(e.do("GET", "/connections", "").body), "s3cret") {
		t.Errorf("list %+v", cc)
	}
	e.problem("POST", "/connections", `{"connection_id":"x","conn_type":"http","password":"***"}`, 400, client.CodeInvalidField, "password")
	e.problem("POST", "/connections", `{"connection_id":"x","conn_type":"http","extra":"[1]"}`, 400, client.CodeInvalidField, "extra")
	if a := e.do("DELETE", "/connections/wh", ""); a.status != 204 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	e.problem("GET", "/connections/wh", "", 404, client.CodeNotFound, "")
	e.problem("DELETE", "/connections/wh", "", 404, client.CodeNotFound, "")
	e.problem("POST", "/connections/wh/reveal", `{}`, 404, client.CodeNotFound, "")
}
