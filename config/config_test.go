package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/config"
)

// minimal reads testdata/minimal.toml, the smallest valid config. Its
// lines: 1 alias, 2 public_url, 3 coordinators, 5 [imap], 6 address,
// 7 user, 8 password_env, 10 [smtp], 11 address, 13 [[group]] RTG (14 name,
// 15 type, 16 approvers), 18 [[group]] ccamp (19 name, 20 aliases, 21 type,
// 22 parent, 23 contacts, 24 approvers), 26 [[group]] ITU-T SG15 (27 name,
// 28 type, 29 send_to).
func minimal(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces pairs of (old, new) in s; each old must be there.
func edit(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q not in config", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name  string
		edits []string // pairs of old, new applied to minimal.toml
		want  string
	}{
		{"TLSTypo", []string{`address = "imap.example.org:993"`, "address = \"imap.example.org:993\"\ntls = \"startls\""},
			`config.toml:7: imap.tls: "startls" is not one of implicit, starttls, none`},
		{"TLSNoneRemote", []string{`address = "smtp.example.org:587"`, "address = \"smtp.example.org:587\"\ntls = \"none\""},
			`config.toml:12: smtp.tls: "none" is only allowed to a loopback address, not "smtp.example.org"`},
		{"AliasNoDomain", []string{`alias = "liaison@example.org"`, `alias = "liaison"`},
			`config.toml:1: alias: "liaison" is not a mail address`},
		{"AliasPlus", []string{`alias = "liaison@example.org"`, `alias = "liaison+x@example.org"`},
			`config.toml:1: alias: "liaison+x@example.org" must not contain "+": plus-addresses of the alias are the reply addresses`},
		{"PublicURLRelative", []string{`public_url = "https://liaison.example.org/"`, `public_url = "/liaison"`},
			`config.toml:2: public_url: "/liaison" is not an absolute http or https URL`},
		{"PublicURLFTP", []string{`public_url = "https://liaison.example.org/"`, `public_url = "ftp://example.org/"`},
			`config.toml:2: public_url: "ftp://example.org/" is not an absolute http or https URL`},
		{"UnknownKeys", []string{`user = "liaison"`, `tls_mode = "implicit"`, `parent = "RTG"`, `chairs = ["x@example.org"]`},
			"config.toml:7: imap.tls_mode: unknown key\nconfig.toml:22: group[1].chairs: unknown key"},
		{"UnknownTable", []string{`[smtp]`, `[smpt]`},
			"config.toml:10: smpt: unknown key"},
		{"GroupType", []string{`type = "sdo"`, `type = "rg"`},
			`config.toml:28: group[2].type: "rg" is not one of wg, area, ietf, iab, sdo`},
		{"ParentNotArea", []string{`parent = "RTG"`, `parent = "ITU-T SG15"`},
			`config.toml:22: group[1].parent: "ITU-T SG15" is not an area group in the directory`},
		{"ParentMissing", []string{"parent = \"RTG\"\n", ""},
			`config.toml:18: group[1].parent: required for a wg: its area's ADs are copied on its statements`},
		{"DuplicateKey", []string{`parent = "RTG"`, `contacts = []`},
			`config.toml:23: group[1].contacts: key contacts is already defined`},
		{"ApproverAddress", []string{`approvers = ["AD@Example.org"]`, `approvers = ["ad at example.org"]`},
			`config.toml:16: group[0].approvers[0]: "ad at example.org" is not a mail address`},
		{"ApproverAddressInMultiLineList", []string{`approvers = ["AD@Example.org"]`, "approvers = [\n  \"ad1@example.org\",\n  \"ad2@\",\n]"},
			`config.toml:18: group[0].approvers[1]: "ad2@" is not a mail address`},
		{"NoApprovers", []string{`approvers = ["AD@Example.org"]`, `approvers = []`},
			`config.toml:16: group[0].approvers: a area group needs at least one approver`},
		{"CoordinatorAddress", []string{`coordinators = ["Coord@Example.org"]`, `coordinators = ["coord@example"]`},
			`config.toml:3: coordinators[0]: "coord@example" is not a mail address with a domain`},
		{"DuplicateAlias", []string{`type = "sdo"`, "type = \"sdo\"\naliases = [\"CCAMP\"]"},
			`config.toml:29: group[2].aliases[0]: "CCAMP" already names group "ccamp"`},
		{"BadDuration", []string{`address = "smtp.example.org:587"`, `retry_min = "5 minutes"`},
			`config.toml:11: smtp.retry_min: "5 minutes" is not a duration like "90s", "6h" or "7d"`},
		{"RetryOrder", []string{`address = "smtp.example.org:587"`, "address = \"smtp.example.org:587\"\nretry_min = \"2h\"\nretry_max = \"1h\""},
			`config.toml:13: smtp.retry_max: 1h0m0s is less than retry_min 2h0m0s`},
		{"WrongType", []string{`user = "liaison"`, "user = \"liaison\"\nbatch_size = \"50\""},
			`config.toml:8: imap.batch_size: want an integer, not a TOML string`},
		{"TwoPasswordSources", []string{`password_env = "IMAP_PW"`, "password_env = \"IMAP_PW\"\npassword_file = \"pw\""},
			`config.toml:9: imap.password_file: set together with password_env: give one`},
		{"NoPassword", []string{`password_env = "IMAP_PW"`, ``},
			`config.toml:5: imap.password_env: required (or password_file): passwords are never written in the config file`},
		{"PasswordInFile", []string{`password_env = "IMAP_PW"`, `password = "hunter2"`},
			"config.toml:8: imap.password: unknown key"},
		{"MoveWithoutFolder", []string{`user = "liaison"`, "user = \"liaison\"\nafter_record = \"move\""},
			`config.toml:5: imap.move_to: required when after_record is "move"`},
		{"SyntaxError", []string{`[smtp]`, `[smtp`},
			`config.toml:10: syntax error: expected ']' to close table name`},
		{"BadPort", []string{`address = "imap.example.org:993"`, `address = "imap.example.org"`},
			`config.toml:6: imap.address: "imap.example.org" is not host:port`},
		{"CAFileMissing", []string{`address = "imap.example.org:993"`, "address = \"imap.example.org:993\"\nca_file = \"testdata/missing.pem\""},
			`config.toml:7: imap.ca_file: stat testdata/missing.pem: no such file or directory`},
		{"Offsets", []string{`[smtp]`, "[reminders]\noffsets = [7, -1, 7]\n\n[smtp]"},
			"config.toml:11: reminders.offsets[1]: -1 is not between 0 and 366 days\nconfig.toml:11: reminders.offsets[2]: 7 is listed twice"},
		{"LogLevel", []string{`[smtp]`, "[log]\nlevel = \"verbose\"\n\n[smtp]"},
			`config.toml:11: log.level: "verbose" is not one of debug, info, warn, error`},
		{"ManyAtOnce", []string{
			`alias = "liaison@example.org"`, `alias = "liaison@"`,
			`type = "sdo"`, `type = "ngo"`,
			`address = "smtp.example.org:587"`, `tls = "ssl"`,
		},
			"config.toml:1: alias: \"liaison@\" is not a mail address\n" +
				"config.toml:10: smtp.address: required\n" +
				"config.toml:11: smtp.tls: \"ssl\" is not one of implicit, starttls, none\n" +
				"config.toml:28: group[2].type: \"ngo\" is not one of wg, area, ietf, iab, sdo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := edit(t, minimal(t), tt.edits...)
			c, err := config.Parse("config.toml", []byte(data))
			if err == nil {
				t.Fatalf("Parse succeeded, want error:\n%s\nconfig:\n%s", tt.want, data)
			}
			if c != nil {
				t.Errorf("Parse returned a config with its error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestErrorsAreTyped(t *testing.T) {
	data := edit(t, minimal(t), `address = "imap.example.org:993"`, "address = \"imap.example.org:993\"\ntls = \"startls\"")
	_, err := config.Parse("config.toml", []byte(data))
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a *config.Error", err)
	}
	if got, want := *ce, (config.Error{File: "config.toml", Line: 7, Key: "imap.tls", Msg: `"startls" is not one of implicit, starttls, none`}); got != want {
		t.Errorf("Error = %+v, want %+v", got, want)
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		name  string
		edits []string
	}{
		{"Minimal", nil},
		{"TLSNoneIPv4Loopback", []string{`address = "smtp.example.org:587"`, "address = \"127.0.0.2:25\"\ntls = \"none\""}},
		{"TLSNoneIPv6Loopback", []string{`address = "smtp.example.org:587"`, "address = \"[::1]:25\"\ntls = \"none\""}},
		{"TLSNoneLocalhost", []string{`address = "imap.example.org:993"`, "address = \"localhost:143\"\ntls = \"none\""}},
		{"DaysDuration", []string{`[smtp]`, "[reminders]\noverdue = \"3d\"\n\n[smtp]\ngive_up = \"10d12h\""}},
		{"NoReminders", []string{`[smtp]`, "[reminders]\noffsets = []\noverdue = \"0s\"\n\n[smtp]"}},
		{"MoveTo", []string{`user = "liaison"`, "user = \"liaison\"\nafter_record = \"move\"\nmove_to = \"Archive/Liaisons\""}},
		{"SMTPAuthFromFile", []string{`address = "smtp.example.org:587"`, "address = \"smtp.example.org:465\"\ntls = \"implicit\"\nuser = \"x\"\npassword_file = \"pw\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := edit(t, minimal(t), tt.edits...)
			if _, err := config.Parse("config.toml", []byte(data)); err != nil {
				t.Fatalf("Parse: %v\nconfig:\n%s", err, data)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := config.Load("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("PublicURL", c.PublicURL, "https://liaison.example.org")
	check("Instance", c.Instance, "example.org")
	check("Coordinators", c.Coordinators, []string{"coord@example.org"})
	check("IMAP.TLS", c.IMAP.TLS, config.TLSImplicit)
	check("IMAP.Mailboxes", c.IMAP.Mailboxes, []string{"INBOX"})
	check("IMAP.PollInterval", time.Duration(c.IMAP.PollInterval), time.Minute)
	check("IMAP.BatchSize", c.IMAP.BatchSize, 50)
	check("IMAP.AfterRecord", c.IMAP.AfterRecord, config.AfterFlag)
	check("SMTP.TLS", c.SMTP.TLS, config.TLSStartTLS)
	check("SMTP.From", c.SMTP.From, "liaison@example.org")
	check("SMTP.HELO", c.SMTP.HELO, "example.org")
	check("SMTP.RetryMin", time.Duration(c.SMTP.RetryMin), time.Minute)
	check("SMTP.RetryMax", time.Duration(c.SMTP.RetryMax), 6*time.Hour)
	check("SMTP.GiveUp", time.Duration(c.SMTP.GiveUp), 120*time.Hour)
	check("Web.Listen", c.Web.Listen, "127.0.0.1:8080")
	check("Reminders.Offsets", c.Reminders.Offsets, []int{14, 7, 4, 3, 2, 1, 0})
	check("Reminders.Overdue", time.Duration(c.Reminders.Overdue), 7*24*time.Hour)
	check("Reminders.AcknowledgeSenders", c.Reminders.AcknowledgeSenders, true)
	check("Limits.MaxMessageBytes", c.Limits.MaxMessageBytes, int64(25<<20))
	check("Security.RequireAuthentication", c.Security.RequireAuthentication, true)
	check("Store.Path", c.Store.Path, filepath.Join("testdata", "liaisond.db"))
	check("Log", c.Log, config.Log{Format: "text", Level: "info"})
	// Addresses are reduced to lower-case addr-specs.
	check("Groups[1].Approvers", c.Groups[1].Approvers, []string{"chair@example.org"})
	check("Groups[0].Approvers", c.Groups[0].Approvers, []string{"ad@example.org"})
}

func TestExampleLoads(t *testing.T) {
	c, err := config.Load("../config.example.toml")
	if err != nil {
		t.Fatalf("config.example.toml:\n%v", err)
	}
	d := c.Directory()
	for name, want := range map[string]string{
		"IETF CCAMP WG":        "ccamp",
		"CCAMP Working Group":  "ccamp",
		"ITU-T Study Group 15": "ITU-T SG15",
		"itu-t sg 15":          "ITU-T SG15",
		"3GPP TSG SA WG2":      "3GPP SA2",
		"Broadband Forum":      "BBF",
		"RTG":                  "RTG",
		"rtgwg":                "rtgwg",
		"Routing Area":         "RTG",
	} {
		if g, ok := d.Lookup(name); !ok || g.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, g.Name, ok, want)
		}
	}
	g, _ := d.Lookup("tls")
	approve, cc := d.Approvers(g)
	if len(approve) != 2 || !slices.Equal(cc, []string{"frank.sec-ad@example.org", "grace.sec-ad@example.org"}) {
		t.Errorf("Approvers(tls) = %v, cc %v", approve, cc)
	}
	for _, typ := range []liaison.GroupType{liaison.GroupIETF, liaison.GroupIAB, liaison.GroupArea, liaison.GroupWG, liaison.GroupSDO} {
		if !slices.ContainsFunc(d.Groups(), func(g liaison.Group) bool { return g.Type == typ }) {
			t.Errorf("example has no group of type %s", typ)
		}
	}
}

// TestExampleDocumentsEveryKey checks that each key of every section
// appears in the example, set or commented out.
func TestExampleDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for f := range typ.Fields() {
			tag := f.Tag.Get("toml")
			if tag == "" || tag == "group" {
				continue
			}
			if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
				// An array of tables, shown as an example table.
				if !strings.Contains(text, "\n[["+tag+"]]\n") && !strings.Contains(text, "\n# [["+tag+"]]\n") {
					t.Errorf("table [[%s]] is not in the example", tag)
				}
				continue
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[config.Duration]() {
				if !strings.Contains(text, "\n["+tag+"]\n") {
					t.Errorf("section [%s] is not in the example", tag)
				}
				walk(tag+".", f.Type)
				continue
			}
			if !strings.Contains(text, "\n"+tag+" = ") && !strings.Contains(text, "\n# "+tag+" = ") {
				t.Errorf("key %s%s is not in the example", prefix, tag)
			}
		}
	}
	walk("", reflect.TypeFor[config.Config]())
}

func TestSecrets(t *testing.T) {
	env := map[string]string{"IMAP_PW": "from-env"}
	getenv := func(k string) string { return env[k] }

	t.Run("Env", func(t *testing.T) {
		c, err := config.Load("testdata/minimal.toml")
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Secrets(getenv)
		if err != nil {
			t.Fatal(err)
		}
		if s.IMAPPassword != "from-env" || s.SMTPPassword != "" {
			t.Errorf("Secrets = %+v", s)
		}
	})
	t.Run("EnvUnset", func(t *testing.T) {
		c, err := config.Load("testdata/minimal.toml")
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.PasswordIMAP(func(string) string { return "" })
		// The message says what to do: set the variable, or use a file.
		want := "testdata/minimal.toml:8: imap.password_env: environment variable IMAP_PW is not set or empty\n" +
			"    set it where liaisond runs (export IMAP_PW='...'; under systemd, a line IMAP_PW=...\n" +
			"    in the unit's EnvironmentFile), or name a file holding it with imap.password_file instead"
		if got := errString(err); got != want {
			t.Errorf("error:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("File", func(t *testing.T) {
		// Relative to the config file: testdata/imap-password.
		data := edit(t, minimal(t), `password_env = "IMAP_PW"`, `password_file = "imap-password"`)
		c, err := config.Parse("testdata/config.toml", []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.PasswordIMAP(getenv); err != nil || got != "s3cret" {
			t.Errorf("PasswordIMAP = %q, %v; want s3cret (trailing newline dropped)", got, err)
		}
	})
	t.Run("FileMissingAndEnvUnset", func(t *testing.T) {
		dir := t.TempDir()
		data := edit(t, minimal(t),
			`password_env = "IMAP_PW"`, `password_file = "nope"`,
			`address = "smtp.example.org:587"`, "address = \"smtp.example.org:587\"\nuser = \"liaison\"\npassword_env = \"SMTP_PW\"")
		name := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Secrets(getenv)
		want := name + ":8: imap.password_file: open " + filepath.Join(dir, "nope") + ": no such file or directory\n" +
			name + ":13: smtp.password_env: environment variable SMTP_PW is not set or empty\n" +
			"    set it where liaisond runs (export SMTP_PW='...'; under systemd, a line SMTP_PW=...\n" +
			"    in the unit's EnvironmentFile), or name a file holding it with smtp.password_file instead\n" +
			"    (for a server that relays without authentication, comment out smtp.user instead)"
		if got := errString(err); got != want {
			t.Errorf("error:\n%s\nwant:\n%s", got, want)
		}
	})
	// A relay without authentication is one commented-out line: without
	// smtp.user the password is neither required nor used.
	t.Run("SMTPWithoutUser", func(t *testing.T) {
		data := edit(t, minimal(t), `address = "smtp.example.org:587"`, "address = \"smtp.example.org:587\"\n# user = \"liaison\"\npassword_env = \"SMTP_PW\"")
		c, err := config.Parse("c.toml", []byte(data))
		if err != nil {
			t.Fatalf("a password without a user: %v", err)
		}
		s, err := c.Secrets(getenv)
		if err != nil || s.SMTPPassword != "" {
			t.Errorf("Secrets = %+v, %v; want no SMTP password, no error", s, err)
		}
		if !c.SMTPPasswordUnused() {
			t.Errorf("SMTPPasswordUnused = false")
		}
	})
	t.Run("FileEmpty", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		data := edit(t, minimal(t), `password_env = "IMAP_PW"`, `password_file = "pw"`)
		c, err := config.Parse(filepath.Join(dir, "c.toml"), []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PasswordIMAP(getenv); err == nil || !strings.HasSuffix(err.Error(), "pw is empty") {
			t.Errorf("PasswordIMAP error = %v, want ... is empty", err)
		}
	})
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true},
		{"6h", 6 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0s", 0, true},
		{"5 minutes", 0, false},
		{"d", 0, false},
		{"-1d", 0, false},
		{"1.5d", 0, false},
		{"7dd", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		var d config.Duration
		err := d.UnmarshalText([]byte(tt.in))
		if (err == nil) != tt.ok || tt.ok && time.Duration(d) != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v, ok %v", tt.in, time.Duration(d), err, tt.want, tt.ok)
		}
	}
}

func TestValidateWithoutFile(t *testing.T) {
	// cmd may build a config in code (the demo); Validate names no line.
	c := config.Default()
	c.Alias = "liaison@example.org"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "config: public_url: required") {
		t.Errorf("Validate() = %v, want public_url required", err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := config.Parse("config.example.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}
