package config_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"liaison"
	"liaison/config"
)

func TestLiaisonManagers(t *testing.T) {
	base, err := os.ReadFile("testdata/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Directory", func(t *testing.T) {
		data := string(base) + `
[[liaison_manager]]
organisation = "ITU-T"
managers = ["Ann Manager <Ann@Example.org>", "bob@example.org"]
alias = "ITU-T-Liaison@iab.example"

[[liaison_manager]]
organisation = "3GPP SA2"
managers = ["sa2-lm@example.org"]
`
		c, err := config.Parse("config.toml", []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		d := c.Directory()
		s := &liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"ITU-T Study Group 15"}}
		if got, want := d.ManagerEmails(s), []string{"ann@example.org", "bob@example.org"}; !slices.Equal(got, want) {
			t.Errorf("ManagerEmails(ITU-T SG15) = %v, want %v", got, want)
		}
		if got := d.Managers()[0]; got.Alias != "itu-t-liaison@iab.example" || got.Managers[0] != `"Ann Manager" <ann@example.org>` {
			t.Errorf("normalised entry = %+v", got)
		}
		s = &liaison.Statement{Direction: liaison.Outgoing, ToBodies: []string{"TSG SA WG2"}}
		if got := d.ManagerEmails(s); !slices.Equal(got, []string{"sa2-lm@example.org"}) {
			t.Errorf("ManagerEmails(SA2) = %v", got)
		}
	})
	for _, tc := range []struct{ name, table, want string }{
		{"UnknownOrganisation", "[[liaison_manager]]\norganisation = \"Acme Forum\"\nmanagers = [\"a@example.org\"]\n",
			`liaison_manager[0].organisation: "Acme Forum" is not an organisation in the registry: add it with [[organisation]]`},
		{"UnknownBody", "[[liaison_manager]]\norganisation = \"ITU-T SG99\"\nmanagers = [\"a@example.org\"]\n",
			`"ITU-T SG99" is not an organisation in the registry: ITU-T is known, but not "ITU-T SG99" in it`},
		{"NoOrganisation", "[[liaison_manager]]\nmanagers = [\"a@example.org\"]\n", "liaison_manager[0].organisation: required"},
		{"NoManagers", "[[liaison_manager]]\norganisation = \"3GPP\"\n", "liaison_manager[0].managers: at least one manager is required"},
		{"BadAddress", "[[liaison_manager]]\norganisation = \"3GPP\"\nmanagers = [\"not an address\"]\n", `liaison_manager[0].managers[0]: "not an address" is not a mail address`},
		{"BadAlias", "[[liaison_manager]]\norganisation = \"3GPP\"\nmanagers = [\"a@example.org\"]\nalias = \"nowhere\"\n", "liaison_manager[0].alias"},
		{"Twice", "[[liaison_manager]]\norganisation = \"ITU-T\"\nmanagers = [\"a@example.org\"]\n[[liaison_manager]]\norganisation = \"ITU Telecommunication Standardization Sector\"\nmanagers = [\"b@example.org\"]\n",
			"liaison_manager[1].organisation: \"ITU Telecommunication Standardization Sector\" names ITU-T again (also liaison_manager[0])"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse("config.toml", []byte(string(base)+"\n"+tc.table))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}
