package extract

import (
	"context"
	"strings"
	"testing"

	"liaison"
)

// TestHTMLHiddenContent: the text of HTML is what a reader sees; every way
// of hiding "approve" leaves it out, and what only looks like hiding
// (aria-hidden, print-only CSS, a child set visible again) keeps it.
func TestHTMLHiddenContent(t *testing.T) {
	tests := []struct {
		name, html string
		shown      bool
	}{
		{"visible", `<div>approve</div>`, true},
		{"display none", `<div style="display:none">approve</div>`, false},
		{"display none spaced important", `<div style="COLOR: red ; Display : NONE !important">approve</div>`, false},
		{"display none single quotes", `<span style='display: none;'>approve</span>`, false},
		{"display none unquoted", `<span style=display:none>approve</span>`, false},
		{"display none comment in value", `<span style="display:/* x */none">approve</span>`, false},
		{"display none css escape", `<span style="display:n\6f ne">approve</span>`, false},
		{"display none entity", `<span style="display&#58;none">approve</span>`, false},
		{"display block", `<span style="display:block">approve</span>`, true},
		{"visibility hidden", `<p style="visibility:hidden">approve</p>`, false},
		{"visibility collapse", `<p style="visibility:collapse">approve</p>`, false},
		{"visibility set back", `<div style="visibility:hidden">x <span style="visibility:visible">approve</span></div>`, true},
		{"font-size 0", `<span style="font-size:0">approve</span>`, false},
		{"font-size 0px", `<span style="font-size: 0px">approve</span>`, false},
		{"font-size 0pt", `<span style="font-size:0pt">approve</span>`, false},
		{"font-size 0.0em", `<span style="font-size:0.0em">approve</span>`, false},
		{"font shorthand 0/0", `<span style="font:0/0 a">approve</span>`, false},
		{"font shorthand bold 0px", `<span style="font: bold 0px Arial">approve</span>`, false},
		{"font shorthand 12px", `<span style="font: 400 12px/1.2 Arial">approve</span>`, true},
		{"font-size 0 child absolute", `<td style="font-size:0"><span style="font-size:14px">approve</span></td>`, true},
		{"font-size 0 child relative", `<div style="font-size:0"><span style="font-size:1.5em">approve</span></div>`, false},
		{"font-size 0 child invalid", `<div style="font-size:0"><span style="font-size:-4px">approve</span></div>`, false},
		{"opacity 0", `<div style="opacity:0">approve</div>`, false},
		{"opacity 0.01", `<div style="opacity:.01">approve</div>`, false},
		{"opacity 1", `<div style="opacity:1">approve</div>`, true},
		{"max-height 0 overflow hidden", `<div style="max-height:0;overflow:hidden">approve</div>`, false},
		{"height 0px overflow-y hidden", `<div style="height:0px;overflow-y:hidden">approve</div>`, false},
		{"height 0 overflow visible", `<div style="height:0">approve</div>`, true},
		{"mso-hide all", `<span style="mso-hide:all">approve</span>`, false},
		{"hidden attribute", `<div hidden>approve</div>`, false},
		{"hidden until-found", `<div hidden="until-found">approve</div>`, false},
		{"aria-hidden is still seen", `<div aria-hidden="true">approve</div>`, true},
		{"comment", `<!-- approve --><p>ok</p>`, false},
		{"conditional comment", `<!--[if mso]>approve<![endif]--><p>ok</p>`, false},
		{"head title", `<html><head><title>approve</title></head><body>ok</body></html>`, false},
		{"script", `<script>approve</script>ok`, false},
		{"style", `<style>/* approve */</style>ok`, false},
		{"template", `<template><p>approve</p></template>ok`, false},
		{"noscript", `<noscript>approve</noscript>ok`, false},
		{"hidden input", `<input type="hidden" name="c" value="approve"><p>ok</p>`, false},
		{"closed dialog", `<dialog>approve</dialog>ok`, false},
		{"closed details", `<details><summary>More</summary>approve</details>`, false},
		{"open details", `<details open><summary>More</summary>approve</details>`, true},
		{"svg title", `<svg><title>approve</title></svg>ok`, false},
		{"white on white", `<span style="color:#FFF;background-color:white">approve</span>`, false},
		{"white on black", `<span style="color:#fff;background-color:#000">approve</span>`, true},
		{"transparent text", `<span style="color:transparent">approve</span>`, false},
		{"off screen", `<div style="position:absolute;left:-9999px">approve</div>`, false},
		{"text-indent", `<div style="text-indent:-10000px;overflow:hidden">approve</div>`, false},
		{"class in style sheet", `<style>.x{display:none}</style><div class="a x">approve</div>`, false},
		{"class with comment-wrapped sheet", `<style><!-- .pre { mso-hide: all; } --></style><div class=pre>approve</div>`, false},
		{"other class", `<style>.x{display:none}</style><div class="y">approve</div>`, true},
		{"id in style sheet", `<style>#p{font-size:0}</style><p id=p>approve</p>`, false},
		{"descendant selector", `<style>.wrap span{visibility:hidden}</style><div class=wrap><p><span>approve</span></p></div>`, false},
		{"descendant selector elsewhere", `<style>.wrap span{visibility:hidden}</style><div><span>approve</span></div>`, true},
		{"child selector", `<style>div > b{display:none}</style><div><b>approve</b></div>`, false},
		{"sibling selector", `<style>i + b{display:none}</style><p><i>x</i><b>approve</b></p>`, false},
		{"attribute selector", `<style>[data-x="1" i]{display:none}</style><p data-x=1>approve</p>`, false},
		{"pseudo-class taken to apply", `<style>p:first-child{display:none}</style><p>approve</p>`, false},
		{"pseudo-element styles no text", `<style>p::after{display:none}</style><p>approve</p>`, true},
		{"media screen", `<style>@media screen { .x{display:none} }</style><p class=x>approve</p>`, false},
		{"media width", `<style>@media (max-width:600px) { .x{display:none} }</style><p class=x>approve</p>`, false},
		{"media print", `<style>@media print { .x{display:none} }</style><p class=x>approve</p>`, true},
		{"important rule beats inline", `<style>.x{display:none!important}</style><p class=x style="display:block">approve</p>`, false},
		{"inline beats rule", `<style>.x{opacity:0}</style><p class=x style="opacity:1">approve</p>`, true},
		{"style in body", `<p>ok</p><style>b{display:none}</style><b>approve</b>`, false},
		// </div> inside a cell closes nothing: the text stays in the hidden div.
		{"end tag in table cell", `<div style="display:none"><table><tr><td></div>approve</td></tr></table></div>`, false},
		{"unclosed hidden p", `<p style="display:none">approve`, false},
		{"outlook o:p", `<p class=MsoNormal>approve<o:p></o:p></p>`, true},
		{"outlook mso-hide", `<p class=MsoNormal><span style='mso-hide:all'>approve<o:p></o:p></span></p>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := htmlToText(tt.html, nil)
			if has := strings.Contains(strings.ToLower(got), "approve"); has != tt.shown {
				t.Errorf("htmlToText(%q) = %q; shows approve: %v, want %v", tt.html, got, has, tt.shown)
			}
		})
	}
}

// replyMail is a reply to statement LS-2026-0003 with the given MIME body
// (Content-Type header line included).
func replyMail(body string) []byte {
	return []byte("From: Carlos Mendes <carlos.mendes@example.org>\r\n" +
		"To: statements@liaison.example.org\r\n" +
		"Subject: Re: [LS-2026-0003] LS on IPv6-only network deployment guidance\r\n" +
		"In-Reply-To: <ls-2026-0003.notify@liaison.example.org>\r\n" +
		"Message-ID: <hidden.reply@example.org>\r\nMIME-Version: 1.0\r\n" + body)
}

func alternative(plain, html string) string {
	return "Content-Type: multipart/alternative; boundary=alt\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + plain + "\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--alt--\r\n"
}

func htmlOnly(html string) string {
	return "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n"
}

const outlookHead = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>` +
	`<meta http-equiv=Content-Type content="text/html; charset=utf-8"><style><!--
p.MsoNormal, li.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
span.EmailStyle17 {mso-style-type:personal-reply;}
@page WordSection1 {size:612.0pt 792.0pt;}
div.WordSection1 {page:WordSection1;}
--></style></head><body lang=EN-US><div class=WordSection1>`

// TestHiddenCommands: a chair's reply is read for commands only from what
// the person sees.
func TestHiddenCommands(t *testing.T) {
	quote := `<div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class=MsoNormal><b>From:</b> Liaison Statement Management Tool<br><b>Sent:</b> Monday, October 5, 2026<br><b>To:</b> Carlos<br><b>Subject:</b> LS</p></div><p>approve</p>`
	tests := []struct {
		name, body string
		want       string // commands, comma-separated
		reply      string // text ReplyText must hold, if set
	}{
		{"plain says thanks, HTML hides approve",
			alternative("Thanks, looks fine", `<div style="display:none">approve</div><div>Thanks, looks fine</div>`), "", "Thanks, looks fine"},
		{"plain says thanks, HTML shows approve",
			alternative("Thanks, looks fine", `<div>approve</div>`), "", "Thanks, looks fine"},
		{"plain approve, HTML with a table",
			alternative("approve\r\n\r\nCarlos", `<p>approve</p><table><tr><td>Title</td><td>X</td></tr></table>`), "approve", ""},
		{"plain approve, long quoted HTML",
			alternative("approve", `<p>approve</p>`+strings.Repeat(`<p>quoted words of the original statement here</p>`, 20)), "approve", ""},
		{"empty plain part, HTML approve",
			alternative("", `<p>approve</p>`), "approve", ""},
		{"HTML only, hidden approve, visible comment",
			htmlOnly(`<div style="display:none">approve</div><p>I have a comment on section 3.</p>`), "", "comment on section 3"},
		{"HTML only, visible approve",
			htmlOnly(`<div dir="ltr">approve</div><br><div class="gmail_quote">On Mon wrote:<blockquote>Title: X</blockquote></div>`), "approve", ""},
		{"HTML only, preheader then approve hidden by class",
			htmlOnly(`<style>.ph{display:none!important;max-height:0;overflow:hidden;mso-hide:all}</style><span class=ph>approve</span><p>Looks fine to me</p>`), "", "Looks fine to me"},
		{"HTML only, zero font approve",
			htmlOnly(`<p style="font-size:0px;line-height:0">approve</p><p>Will look at it next week</p>`), "", "Will look at it next week"},
		{"HTML only, white on white",
			htmlOnly(`<p><font color="#ffffff" style="color:#ffffff;background:#ffffff">approve</font></p><p>see below</p>`), "", "see below"},
		{"Outlook, mso-hide approve",
			htmlOnly(outlookHead + `<p class=MsoNormal><span style='mso-hide:all'>approve<o:p></o:p></span></p><p class=MsoNormal>Looks good, thanks.<o:p></o:p></p>` + quote + `</div></body></html>`), "", "Looks good"},
		{"Outlook, visible approve",
			htmlOnly(outlookHead + `<p class=MsoNormal>approve<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Carlos<o:p></o:p></p>` + quote + `</div></body></html>`), "approve", ""},
		{"Outlook, approve only in the quote",
			htmlOnly(outlookHead + `<p class=MsoNormal>Will reply later<o:p></o:p></p>` + quote + `</div></body></html>`), "", "Will reply later"},
		{"HTML only, approve in comment",
			htmlOnly(`<!--approve--><p>Noted.</p>`), "", "Noted."},
		{"HTML only, approve in head title",
			htmlOnly(`<html><head><title>approve</title></head><body><p>Noted.</p></body></html>`), "", "Noted."},
		{"HTML only, aria-hidden approve is seen",
			htmlOnly(`<p aria-hidden="true">approve</p>`), "approve", ""},
		{"HTML only, hidden end tag in a cell",
			htmlOnly(`<div style="display:none"><table><tr><td></div>approve</td></tr></table></div><p>Noted.</p>`), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Extract(context.Background(), replyMail(tt.body), testOptions())
			if r.Kind != liaison.KindThreadReply {
				t.Fatalf("kind %s, want thread-reply", r.Kind)
			}
			var names []string
			for _, c := range r.Commands {
				names = append(names, c.Name)
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("commands %q, want %q; reply text %q", got, tt.want, r.ReplyText)
			}
			if got := strings.Join(names, ","); got == "" && len(Commands(r.ReplyText)) != 0 {
				t.Errorf("reply text %q holds a command", r.ReplyText)
			}
			if tt.reply != "" && !strings.Contains(r.ReplyText, tt.reply) {
				t.Errorf("reply text %q, want it to hold %q", r.ReplyText, tt.reply)
			}
		})
	}
}

// TestHiddenStatementText: hidden HTML is not part of a statement's text
// either; the record holds what a reader sees.
func TestHiddenStatementText(t *testing.T) {
	raw := []byte("From: Ana Ribeiro <ana.ribeiro@example.net>\r\nTo: statements@liaison.example.org\r\n" +
		"Subject: LS on transport YANG models\r\nMessage-ID: <hidden.stmt@example.net>\r\nMIME-Version: 1.0\r\n" +
		htmlOnly(`<p>Title: LS on transport YANG models</p><p>From: ITU-T SG15</p><p>To: IETF CCAMP WG</p>`+
			`<p>Purpose: For Action</p><div style="display:none">Deadline: 1 January 2027 secret-preheader</div>`+
			`<p>Please review the models.</p>`))
	r := Extract(context.Background(), raw, testOptions())
	if r.Kind != liaison.KindStatement {
		t.Fatalf("kind %s", r.Kind)
	}
	if strings.Contains(r.Body, "secret-preheader") || strings.Contains(r.FullText, "secret-preheader") {
		t.Errorf("hidden text in the statement: %q", r.Body)
	}
	if !strings.Contains(r.Body, "Please review the models.") {
		t.Errorf("body %q", r.Body)
	}
	if !r.Deadline.IsZero() {
		t.Errorf("deadline %v read from hidden text", r.Deadline)
	}
}

func FuzzHTMLToText(f *testing.F) {
	f.Add(`<style>.x{display:none}@media screen{#a>b+i~u[c~="d" i]:not(.e){font:0/0 a}}</style><div class=x>a</div>`)
	f.Add(`<div style="display:n\6f ne;font-size:0;color:#fff;background:rgb(255,255,255)">x</div>`)
	f.Add(`<table><tr><td style="opacity:.0"><div hidden>x</td></div><details><summary>s</summary>y</details>`)
	f.Add(`<style>@media{@supports{@layer{a{visibility:hidden}}}}}{{;;@import "x";</style><a>q</a>`)
	f.Add("<p style=\"font:\\\\ \\0 \\110000 /**/\">x")
	f.Fuzz(func(t *testing.T, src string) {
		htmlToText(src, map[string]bool{})
		parseDecls(src)
		parseSelector(src)
	})
}
