package extract

// WholeParts reports whether r's attachments are whole: no limit cut a part
// or stopped the reading of the mail, and the reading did not end in a
// recovered panic. Only then does the store keep a part as a reference to
// its base64 text in the mail (Part.Encoded): a part cut at a limit has
// fewer bytes than that text decodes to.
func (r *Result) WholeParts() bool { return !r.limited }
