package extract

import (
	"context"
	"encoding/json"
	"mime"
	"strings"
	"testing"

	"liaison"
)

// autoMail builds a mail to the alias: extra header lines (CRLF-ended),
// a subject and a plain body.
func autoMail(headers, subject, body string) []byte {
	return []byte("From: Someone <someone@example.net>\r\nTo: statements@liaison.example.org\r\n" +
		"Subject: " + mime.QEncoding.Encode("utf-8", subject) + "\r\nMessage-ID: <auto.test@example.net>\r\n" +
		"MIME-Version: 1.0\r\n" + headers + "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n") + "\r\n")
}

const statementFieldsText = "Title: LS on transport network YANG models\nFrom: ITU-T SG15\nTo: IETF CCAMP WG\n" +
	"Purpose: For Action\nDeadline: 15 January 2027\n\nSG15 asks CCAMP to review the attached models.\n"

// TestAutoReplyRecognition: out-of-office notices in the headers, the
// subject or the first lines, in English, German, French, Spanish,
// Italian, Japanese and Chinese; statements and chairs' replies that only
// mention an absence stay what they are.
func TestAutoReplyRecognition(t *testing.T) {
	const reply = "In-Reply-To: <ls-2026-0003.notify@liaison.example.org>\r\n"
	const ack = "Thank you for your message.\n\nBest regards"
	tests := []struct {
		name, headers, subject, body string
		want                         liaison.Kind
	}{
		// Headers.
		{"rfc 3834 auto-replied", "Auto-Submitted: auto-replied\r\n", "Re: LS on X", ack, liaison.KindAutoReply},
		{"rfc 3834 with parameters", "Auto-Submitted: auto-replied; owner-email=\"x@example.net\"\r\n", "LS on X", ack, liaison.KindAutoReply},
		{"rfc 3834 no with comment", "Auto-Submitted: no (manual)\r\n", "LS on X", statementFieldsText, liaison.KindStatement},
		{"precedence auto_reply", "Precedence: auto_reply\r\n", "Re: LS on X", ack, liaison.KindAutoReply},
		{"x-autoreply", "X-Autoreply: yes\r\n", "Re: LS on X", ack, liaison.KindAutoReply},
		{"x-autorespond", "X-Autorespond: On vacation\r\n", "Re: LS on X", ack, liaison.KindAutoReply},
		{"x-auto-response-suppress is a request, not a sign", "X-Auto-Response-Suppress: All\r\n", "LS on transport network YANG models", statementFieldsText, liaison.KindStatement},
		{"exchange rule loop is a forward, not an answer", "X-MS-Exchange-Inbox-Rules-Loop: chair@example.net\r\n", "FW: LS on transport network YANG models", statementFieldsText, liaison.KindStatement},

		// Subjects.
		{"en automatic reply", "", "Automatic reply: [LS-2026-0003] LS on X", ack, liaison.KindAutoReply},
		{"en out of office prefix", "", "Out of Office: LS on X", ack, liaison.KindAutoReply},
		{"en bracket auto-reply", "", "[Auto-Reply] LS on X", ack, liaison.KindAutoReply},
		{"en vacation notice", "", "Vacation notice", ack, liaison.KindAutoReply},
		{"en on vacation", "", "On vacation", ack, liaison.KindAutoReply},
		{"en I am out of the office", "", "I am out of the office until 5 January", ack, liaison.KindAutoReply},
		{"de abwesenheitsnotiz", "", "Abwesenheitsnotiz: LS on X", ack, liaison.KindAutoReply},
		{"de automatische antwort", "", "Automatische Antwort: LS on X", ack, liaison.KindAutoReply},
		{"de im urlaub", "", "Ich bin im Urlaub", ack, liaison.KindAutoReply},
		{"de nicht im büro", "", "Ich bin bis 4. Januar nicht im Büro", ack, liaison.KindAutoReply},
		{"fr en congés", "", "En congés", ack, liaison.KindAutoReply},
		{"fr je suis absente", "", "Je suis absente", ack, liaison.KindAutoReply},
		{"fr absence du bureau", "", "Absence du bureau : LS on X", ack, liaison.KindAutoReply},
		{"fr réponse automatique", "", "Réponse automatique : Nouvelle déclaration", ack, liaison.KindAutoReply},
		{"es fuera de la oficina", "", "Estoy fuera de la oficina", ack, liaison.KindAutoReply},
		{"es respuesta automática", "", "Respuesta automática: LS on X", ack, liaison.KindAutoReply},
		{"it fuori ufficio", "", "Sono fuori ufficio", ack, liaison.KindAutoReply},
		{"it assente", "", "Assente", ack, liaison.KindAutoReply},
		{"it risposta automatica", "", "Risposta automatica: LS on X", ack, liaison.KindAutoReply},
		{"ja 自動返信", "", "自動返信: LS on X", ack, liaison.KindAutoReply},
		{"ja 不在", "", "不在のお知らせ", ack, liaison.KindAutoReply},
		{"ja 休暇", "", "休暇中です", ack, liaison.KindAutoReply},
		{"zh-hans 自动回复", "", "自动回复: LS on X", ack, liaison.KindAutoReply},
		{"zh-hans 休假", "", "休假通知", ack, liaison.KindAutoReply},
		{"zh-hans 不在办公室", "", "不在办公室", ack, liaison.KindAutoReply},
		{"zh 外出", "", "外出中", ack, liaison.KindAutoReply},
		{"zh-hant 自動回覆 fullwidth colon", "", "自動回覆：LS on X", ack, liaison.KindAutoReply},

		// First lines.
		{"en first line currently out", reply, "Re: [LS-2026-0003] LS on X",
			"Thank you for your message.\nI am currently out of the office until 5 January with limited access to e-mail.", liaison.KindAutoReply},
		{"en second paragraph will be", "", "LS on X",
			"Hello,\n\nI will be out of the office from 20 December and back on 5 January.", liaison.KindAutoReply},
		{"en automated response", "", "Re: LS on X", "This is an automated response. Your mail will be read later.", liaison.KindAutoReply},
		{"en heading line", "", "LS on X", "Out of Office\n\nBack on Monday.", liaison.KindAutoReply},
		{"de first lines", reply, "Re: LS on X",
			"Vielen Dank für Ihre Nachricht.\n\nIch bin bis einschließlich 4. Januar 2027 nicht im Büro und habe keinen Zugriff auf meine E-Mails.", liaison.KindAutoReply},
		{"fr first lines", "", "RE: LS on X", "Bonjour,\nJe suis absent du bureau jusqu'au 4 janvier.", liaison.KindAutoReply},
		{"es first line", "", "RE: LS on X", "Gracias por su mensaje. Estoy fuera de la oficina hasta el lunes.", liaison.KindAutoReply},
		{"it first lines", "", "R: LS on X", "Grazie per il messaggio.\nSono in ferie fino al 7 gennaio.", liaison.KindAutoReply},
		{"ja first lines", "", "RE: LS on X", "お問い合わせありがとうございます。\n誠に勝手ながら、1月4日まで休暇中のため不在にしております。", liaison.KindAutoReply},
		{"zh-hans first lines", "", "回复: LS on X", "您好，\n我目前正在休假，1月4日返回。", liaison.KindAutoReply},
		{"zh-hant first lines", "", "回覆: LS on X", "您好，\n我目前不在辦公室，將於1月4日返回。", liaison.KindAutoReply},

		// Not auto-replies.
		{"statement titled absence of liaison", "", "Absence of liaison on OTN management", statementFieldsText, liaison.KindStatement},
		{"statement responding to vacation scheduling", "", "Response to vacation scheduling LS", statementFieldsText, liaison.KindStatement},
		{"statement titled holiday schedule", "", "Holiday schedule for SG15 meetings", "Dear colleagues,\n\nplease find the schedule attached.", liaison.KindStatement},
		{"statement titled 不在着信 (missed call)", "", "不在着信通知サービスに関するLS", statementFieldsText, liaison.KindStatement},
		{"statement on presence with absent", "", "LS on absent-subscriber handling", statementFieldsText, liaison.KindStatement},
		{"statement whose cover says I am on leave", "", "LS on transport network YANG models",
			"Dear colleagues, I am on leave next week, please reply to the rapporteur.\n" + statementFieldsText, liaison.KindStatement},
		{"past tense in a chair's reply", reply, "Re: [LS-2026-0003] LS on X",
			"I was out of office, sorry — approve", liaison.KindThreadReply},
		{"command then absence", reply, "Re: [LS-2026-0003] LS on X",
			"approve\nI am out of the office from tomorrow, Ana will follow up.", liaison.KindThreadReply},
		{"absence below the first lines", reply, "Re: [LS-2026-0003] LS on X",
			"Thanks.\nWe will discuss it in the WG.\nReply expected in March.\nI will be on leave in February.", liaison.KindThreadReply},
		{"out of office only in the quote", reply, "Re: [LS-2026-0003] LS on X",
			"We will take this.\n\nOn Mon, 5 Oct 2026 at 10:00, Someone wrote:\n> I am out of the office", liaison.KindThreadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Extract(context.Background(), autoMail(tt.headers, tt.subject, tt.body), testOptions())
			if r.Kind != tt.want {
				t.Errorf("kind %s, want %s (subject %q)", r.Kind, tt.want, r.Subject)
			}
		})
	}
}

// TestAutoReplyFirstLinesHTML: the first lines are those a reader sees.
func TestAutoReplyFirstLinesHTML(t *testing.T) {
	mk := func(html string) []byte {
		return []byte("From: a@example.net\r\nTo: statements@liaison.example.org\r\nSubject: RE: LS on X\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n")
	}
	if r := Extract(context.Background(), mk(`<div>Hello,</div><div><b>I am out of the office</b> until Monday.</div>`), testOptions()); r.Kind != liaison.KindAutoReply {
		t.Errorf("visible notice: kind %s", r.Kind)
	}
	if r := Extract(context.Background(), mk(`<div style="display:none">I am out of the office</div><div>Comments on the LS follow.</div>`), testOptions()); r.Kind != liaison.KindStatement {
		t.Errorf("hidden notice: kind %s", r.Kind)
	}
}

// TestToBounceAddress: mail delivered to a VERP address is marked, its
// kind unchanged.
func TestToBounceAddress(t *testing.T) {
	dsn := "Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n" +
		"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n--r--\r\n"
	plain := func(body string) string { return "Content-Type: text/plain\r\n\r\n" + body + "\r\n" }
	tests := []struct {
		name, headers, body string
		kind                liaison.Kind
		want                bool
	}{
		{"dsn via delivered-to", "From: MAILER-DAEMON@mx.example.net\r\nTo: statements+b-12-abcdefgh@liaison.example.org\r\n" +
			"Delivered-To: statements+b-12-abcdefgh@liaison.example.org\r\nSubject: Undelivered Mail\r\n", dsn, liaison.KindBounce, true},
		{"auto-reply to the verp address", "From: a@example.net\r\nTo: statements+b-12-abcdefgh@liaison.example.org\r\n" +
			"Subject: Out of Office: LS on X\r\n", plain("Back on Monday."), liaison.KindAutoReply, true},
		{"statement-looking mail, older verp in x-original-to", "From: a@example.net\r\nTo: someone@example.net\r\n" +
			"X-Original-To: statements+b-7@liaison.example.org\r\nSubject: LS on transport network YANG models\r\n",
			plain(strings.ReplaceAll(statementFieldsText, "\n", "\r\n")), liaison.KindStatement, true},
		{"upper case", "From: a@example.net\r\nCc: STATEMENTS+B-12-ABCDEFGH@Liaison.Example.ORG\r\nTo: x@example.net\r\nSubject: hello\r\n",
			plain("hello"), liaison.KindStatement, true},
		{"envelope-to", "From: a@example.net\r\nTo: x@example.net\r\nEnvelope-To: statements+b-99-zzzz@liaison.example.org\r\nSubject: hello\r\n",
			plain("hello"), liaison.KindStatement, true},
		{"the alias itself", "From: a@example.net\r\nTo: statements@liaison.example.org\r\nSubject: LS on X\r\n",
			plain("hello"), liaison.KindStatement, false},
		{"submit address", "From: a@example.net\r\nTo: statements+submit@liaison.example.org\r\nSubject: LS on X\r\n",
			plain("hello"), liaison.KindSubmission, false},
		{"another list's verp", "From: a@example.net\r\nTo: statements@liaison.example.org\r\nCc: list+b-12-abc@example.net\r\nSubject: LS on X\r\n",
			plain("hello"), liaison.KindStatement, false},
		{"b- in another domain's alias name", "From: a@example.net\r\nTo: statements@liaison.example.org, statements+b-1@elsewhere.example\r\nSubject: LS on X\r\n",
			plain("hello"), liaison.KindStatement, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Extract(context.Background(), []byte(tt.headers+"MIME-Version: 1.0\r\n"+tt.body), testOptions())
			if r.Kind != tt.kind {
				t.Errorf("kind %s, want %s", r.Kind, tt.kind)
			}
			if r.ToBounceAddress != tt.want {
				t.Errorf("ToBounceAddress = %v, want %v", r.ToBounceAddress, tt.want)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(b), `"to_bounce_address":true`); got != tt.want {
				t.Errorf("JSON has to_bounce_address: %v, want %v", got, tt.want)
			}
		})
	}
}
