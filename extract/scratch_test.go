package extract

import (
	"context"
	"testing"
)

func TestScratch(t *testing.T) {
	mails := []string{
		"From: A B <ab@x.com>\r\nTo: statements@liaison.example.org\r\nSubject: LS\r\n\r\nTITLE: Upper case labels\r\nSOURCE : ETSI TC NTECH\r\nFOR ACTION TO: IETF OPSAWG\r\nResponse contact(s): ntech@x.com\r\nDEADLINE: 1 March 2027\r\n",
		"From: A B <ab@x.com>\r\nTo: statements@liaison.example.org\r\nSubject: Fwd: something\r\nContent-Type: text/html\r\n\r\n<p><b>Subject:</b>&nbsp;HTML bold labels</p><p><b>From:</b> BBF</p><p><b>To:</b> IETF IPPM</p><p><b>Purpose:</b> For review</p><p><b>Deadline:</b> January 31st, 2027</p>",
		"From: A B <ab@x.com>\r\nTo: statements@liaison.example.org\r\nSubject: LIAISON STATEMENT\r\n\r\nLIAISON STATEMENT TO THE IETF ROUTING AREA\r\nFROM THE MEF FORUM\r\n\r\nDear colleagues, the MEF asks for comments by 31 January 2027.\r\n\r\nSincerely\r\n",
		"From: Sec <sec@x.com>\r\nTo: statements@liaison.example.org\r\nSubject: New Liaison Statement, \"LS on X\"\r\nAuto-Submitted: auto-generated\r\n\r\nTitle: LS on X\r\nSubmission Date: 2026-12-01\r\nURL of the IETF Web page: https://datatracker.ietf.org/liaison/2001/\r\nFrom: Ana R <ana@x.net>\r\nTo: Bob <bob@ietf.org>\r\nCc: c@x.org\r\nResponse Contacts: resp@x.net\r\nTechnical Contacts: tech@x.net\r\nPurpose: For information\r\nDeadline: \r\nBody: Please find attached the LS from ITU-T SG11 on signalling.\r\nAttachments:\r\n    No document has been attached\r\n",
	}
	for _, m := range mails {
		r := Extract(context.Background(), []byte(m), testOptions())
		j, _ := r.JSON()
		t.Logf("%s", j[:min(len(j), 900)])
	}
}
