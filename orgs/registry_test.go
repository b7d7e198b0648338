package orgs_test

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"

	"liaison"
	"liaison/orgs"
)

// TestResolveGolden resolves every spelling of testdata/resolve.txt with
// the shipped registry.
func TestResolveGolden(t *testing.T) {
	f, err := os.Open("testdata/resolve.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := orgs.Default()
	n := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || strings.TrimSpace(text) == "" {
			continue
		}
		name, want, ok := strings.Cut(text, " => ")
		if !ok {
			t.Fatalf("resolve.txt:%d: no =>", line)
		}
		parts := strings.Split(want, "|")
		if len(parts) != 3 {
			t.Fatalf("resolve.txt:%d: want ORG | BODY | exact|partial|unknown", line)
		}
		wantOrg, wantBody, wantKind := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
		n++
		ref, exact := r.Resolve(name)
		kind := "unknown"
		switch {
		case exact:
			kind = "exact"
		case ref.Org != "":
			kind = "partial"
		}
		if ref.Org != wantOrg || ref.Body != wantBody || kind != wantKind {
			t.Errorf("resolve.txt:%d: Resolve(%q) = %q | %q | %s, want %q | %q | %s", line, name, ref.Org, ref.Body, kind, wantOrg, wantBody, wantKind)
		}
		if ref.Name != name {
			t.Errorf("resolve.txt:%d: Name %q, want the name as written", line, ref.Name)
		}
	}
	if n < 40 {
		t.Errorf("only %d golden spellings", n)
	}
}

func TestWithin(t *testing.T) {
	r := orgs.Default()
	got := strings.Join(r.Within("3GPP", "TSG SA"), ",")
	if want := "TSG SA,TSG SA WG1,TSG SA WG2,TSG SA WG3,TSG SA WG4,TSG SA WG5,TSG SA WG6"; got != want {
		t.Errorf("Within(3GPP, TSG SA) = %s, want %s", got, want)
	}
	if got := r.Within("3GPP", "TSG SA WG2"); len(got) != 1 {
		t.Errorf("Within(3GPP, TSG SA WG2) = %v", got)
	}
	if got := r.Within("3GPP", ""); got != nil {
		t.Errorf("Within(3GPP, \"\") = %v, want nil (the whole organisation)", got)
	}
}

func TestNewExtends(t *testing.T) {
	r, err := orgs.New([]liaison.Organisation{
		{Name: "3GPP", Bodies: []liaison.OrgBody{{Name: "TSG SA WG2", Aliases: []string{"Architecture WG"}}}},
		{Name: "ITU-T", Aliases: []string{"CCITT"}},
		{Name: "Example Alliance", Aliases: []string{"EXA"}, Bodies: []liaison.OrgBody{
			{Name: "Plenary"}, {Name: "Security WG", Aliases: []string{"SecWG"}, Parent: "Plenary"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"Architecture WG":      "3GPP TSG SA WG2",
		"3GPP SA2":             "3GPP TSG SA WG2",
		"CCITT SG15":           "ITU-T SG15",
		"EXA SecWG":            "Example Alliance Security WG",
		"Example Alliance":     "Example Alliance",
		"SecWG":                "Example Alliance Security WG",
		"ITU-T Study Group 15": "ITU-T SG15",
	} {
		ref, exact := r.Resolve(name)
		if !exact || ref.String() != want {
			t.Errorf("Resolve(%q) = %s (exact %v), want %s", name, ref, exact, want)
		}
	}
	if got := r.Within("Example Alliance", "Plenary"); len(got) != 2 {
		t.Errorf("Within(Plenary) = %v", got)
	}
	// The shipped registry is not changed by an extension.
	if ref, _ := orgs.Default().Resolve("Architecture WG"); ref.Org != "" {
		t.Errorf("the default registry learnt %v", ref)
	}
}

func TestNewConflict(t *testing.T) {
	_, err := orgs.New([]liaison.Organisation{{Name: "Example", Bodies: []liaison.OrgBody{{Name: "A", Aliases: []string{"X"}}, {Name: "B", Aliases: []string{"X"}}}}})
	var ce *orgs.ConflictError
	if !errors.As(err, &ce) || ce.Spelling != "X" {
		t.Errorf("conflicting aliases: %v", err)
	}
	_, err = orgs.New([]liaison.Organisation{{Name: "Example", Bodies: []liaison.OrgBody{{Name: "A", Parent: "Nowhere"}}}})
	if err == nil || !strings.Contains(err.Error(), "Nowhere") {
		t.Errorf("unknown parent: %v", err)
	}
}

func TestDirectoryOrg(t *testing.T) {
	dir := liaison.NewDirectory([]liaison.Group{
		{Name: "ccamp", Aliases: []string{"IETF CCAMP WG"}, Type: liaison.GroupWG, Parent: "RTG"},
		{Name: "RTG", Type: liaison.GroupArea},
		{Name: "IAB", Type: liaison.GroupIAB},
		{Name: "ITU-T SG15", Aliases: []string{"SG15 Rapporteurs"}, Type: liaison.GroupSDO},
	}).WithOrgs(orgs.Default())
	for name, want := range map[string]string{
		"IETF CCAMP WG":    "IETF ccamp",
		"CCAMP":            "IETF ccamp",
		"RTG":              "IETF RTG",
		"IAB":              "IAB",
		"SG15 Rapporteurs": "ITU-T SG15",
		"SA2":              "3GPP TSG SA WG2",
		"Foo Alliance":     "Foo Alliance",
	} {
		if got := dir.Org(name); got.String() != want {
			t.Errorf("Org(%q) = %s, want %s", name, got, want)
		}
	}
	if ref := dir.Org("IETF FOO WG"); ref.Org != "IETF" || ref.Exact {
		t.Errorf("an IETF group the directory does not know: %+v", ref)
	}
}

func TestBuiltinParses(t *testing.T) {
	if n := len(orgs.Builtin()); n < 20 {
		t.Errorf("%d organisations", n)
	}
}

func BenchmarkResolve(b *testing.B) {
	r := orgs.Default()
	for b.Loop() {
		r.Resolve("3GPP TSG SA WG2 (SA2)")
	}
}
