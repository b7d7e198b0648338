package config_test

import (
	"os"
	"strings"
	"testing"

	"liaison/config"
)

func TestOrganisations(t *testing.T) {
	base, err := os.ReadFile("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Extends", func(t *testing.T) {
		data := string(base) + `
[[organisation]]
name = "3GPP"
[[organisation.body]]
name = "TSG SA WG2"
aliases = ["SA2 Architecture"]

[[organisation]]
name = "Example Alliance"
aliases = ["EXA"]
[[organisation.body]]
name = "Plenary"
[[organisation.body]]
name = "Security WG"
aliases = ["EXA SecWG"]
parent = "Plenary"
`
		c, err := config.Parse("config.toml", []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		d := c.Directory()
		for name, want := range map[string]string{
			"SA2 Architecture": "3GPP TSG SA WG2",
			"SA2":              "3GPP TSG SA WG2",
			"EXA SecWG":        "Example Alliance Security WG",
			"ITU-T SG 15":      "ITU-T SG15",
		} {
			if got := d.Org(name); got.String() != want || !got.Exact {
				t.Errorf("Org(%q) = %+v, want %s", name, got, want)
			}
		}
	})
	for _, tc := range []struct{ name, table, want string }{
		{"NoName", "[[organisation]]\naliases = [\"X\"]\n", "organisation[0].name: required"},
		{"BodyNoName", "[[organisation]]\nname = \"X\"\n[[organisation.body]]\naliases = [\"Y\"]\n", "organisation[0].body[0].name: required"},
		{"BadParent", "[[organisation]]\nname = \"X\"\n[[organisation.body]]\nname = \"Y\"\nparent = \"Nowhere\"\n", `"Nowhere" is not a body of X`},
		{"Conflict", "[[organisation]]\nname = \"Example\"\n[[organisation.body]]\nname = \"Security\"\naliases = [\"SA2\"]\n", `"sa2" names both 3GPP TSG SA WG2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("config.toml", []byte(string(base)+"\n"+tc.table))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}
