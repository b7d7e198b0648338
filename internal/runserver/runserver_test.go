package runserver

import (
	"net"
	"testing"

	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// TestStartStopAtOnce stops servers right after starting them, the
// moment at which Close used to race with Serve; run it with -race.
func TestStartStopAtOnce(t *testing.T) {
	servers := map[string]func() Server{
		"imap": func() Server {
			mem := imapmemserver.New()
			return imapserver.New(&imapserver.Options{NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
				return mem.NewSession(), nil, nil
			}})
		},
		"smtp": func() Server { return smtp.NewServer(nil) },
	}
	for name, newServer := range servers {
		t.Run(name, func(t *testing.T) {
			for range 200 {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				stop := Start(newServer(), ln)
				stop()
				stop() // a second stop is harmless
				if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
					t.Fatal("the listener still accepts after stop")
				}
			}
		})
	}
}
