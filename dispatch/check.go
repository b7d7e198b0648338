package dispatch

import "context"

// CheckConnection connects to the SMTP server, does the TLS and
// authentication the configuration asks for, and says goodbye: what
// `liaisond check-config -connect` reports.
func (o *Outbox) CheckConnection(ctx context.Context) error {
	cn, err := o.dial(ctx)
	if err != nil {
		return err
	}
	cn.close()
	return nil
}
