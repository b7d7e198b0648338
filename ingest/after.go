package ingest

import "github.com/emersion/go-imap/v2"

// afterCapture runs the post-action on a committed batch. Failures are only
// logged: the messages are safe in the store and the position is past them;
// the next session's catch-up retries flagging or moving.
func (cl *conn) afterCapture(after string, b batch) {
	if len(b.heads) > 0 {
		// Oversized: leave it where a human sees it.
		cl.store(uidSet(b.heads), []imap.Flag{imap.FlagFlagged})
	}
	if len(b.whole) == 0 {
		return
	}
	set := uidSet(b.whole)
	switch after {
	case AfterFlag:
		cl.store(set, cl.recordedFlags())
	case AfterMove:
		cl.move(set)
	}
}

func (cl *conn) recordedFlags() []imap.Flag {
	flags := []imap.Flag{imap.FlagSeen}
	if cl.keywords {
		flags = append(flags, Keyword)
	}
	return flags
}

func (cl *conn) store(set imap.UIDSet, flags []imap.Flag) {
	defer cl.guard(commandTimeout)()
	err := cl.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
	if err != nil {
		cl.log.Warn("imap flag captured messages", "mailbox", cl.mailbox, "uids", set.String(), "flags", flags, "err", err)
	}
}

func (cl *conn) move(set imap.UIDSet) {
	defer cl.guard(commandTimeout)()
	if _, err := cl.c.Move(set, cl.opts.MoveTo).Wait(); err != nil {
		cl.log.Warn("imap move captured messages", "mailbox", cl.mailbox, "uids", set.String(),
			"move_to", cl.opts.MoveTo, "err", err)
	}
}

// catchUp repeats the post-action for messages below the sync position that
// it missed (the process died between commit and action). Oversized
// messages are \Flagged and stay where they are.
func (cl *conn) catchUp(after string, lastUID uint32) {
	criteria := &imap.SearchCriteria{
		UID:     []imap.UIDSet{{{Start: 1, Stop: imap.UID(lastUID)}}},
		NotFlag: []imap.Flag{imap.FlagFlagged},
	}
	switch {
	case after == AfterMove:
	case after == AfterFlag && cl.keywords:
		criteria.NotFlag = append(criteria.NotFlag, Keyword)
	default:
		return
	}
	stop := cl.guard(commandTimeout)
	data, err := cl.c.UIDSearch(criteria, nil).Wait()
	stop()
	if err != nil {
		cl.log.Warn("imap search for captured but unmarked messages", "mailbox", cl.mailbox, "err", err)
		return
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return
	}
	set := imap.UIDSetNum(uids...)
	cl.log.Info("imap repeating post-capture action", "mailbox", cl.mailbox, "after", after, "uids", set.String())
	if after == AfterMove {
		cl.move(set)
	} else {
		cl.store(set, cl.recordedFlags())
	}
}
