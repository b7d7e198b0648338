package pdf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
)

// The standard security handler (ISO 32000-2 section 7.6.4) with the empty
// user password: RC4 40 to 128 bits (R2 to R4), AES-128 (R4, AESV2) and
// AES-256 (R5, R6, AESV3). A file whose user password is not empty cannot
// be read and gives ErrEncrypted.

// padding is the password padding string of Algorithm 2.
var padding = []byte("\x28\xbf\x4e\x5e\x4e\x75\x8a\x41\x64\x00\x4e\x56\xff\xfa\x01\x08" +
	"\x2e\x2e\x00\xb6\xd0\x68\x3e\x80\x2f\x0c\xa9\xfe\x64\x53\x69\x7a")

type cryptMethod int

const (
	methodIdentity cryptMethod = iota
	methodRC4
	methodAESV2
	methodAESV3
)

type decrypter struct {
	key      []byte
	str, stm cryptMethod
}

// setupCrypt reads the trailer's /Encrypt, finds the file key for the
// empty user password and decrypts the strings of every plain object.
func (r *reader) setupCrypt() error {
	encV := r.trailer["Encrypt"]
	enc := r.dict(encV)
	if enc == nil {
		return nil
	}
	if f, _ := r.resolve(enc["Filter"]).(name); f != "Standard" {
		return fmt.Errorf("pdf security handler %q: %w", f, ErrEncrypted)
	}
	d, err := r.newDecrypter(enc)
	if err != nil {
		return err
	}
	r.crypt = d
	encRef, _ := encV.(objRef)
	r.encNum = encRef.num
	if encRef.num == 0 {
		r.encNum = -1
	}
	for num, v := range r.objs {
		if num == encRef.num && encRef.num != 0 {
			continue
		}
		ref := objRef{num, r.gens[num]}
		switch x := v.(type) {
		case *stream:
			if t, _ := x.dict["Type"].(name); t != "XRef" {
				d.decryptStrings(ref, x.dict)
			}
		default:
			r.objs[num] = d.decryptStrings(ref, v)
		}
		if !r.tick() {
			return r.err
		}
	}
	return nil
}

func (r *reader) newDecrypter(enc dict) (*decrypter, error) {
	v, _ := r.resolve(enc["V"]).(int)
	rev, _ := r.resolve(enc["R"]).(int)
	o, _ := r.resolve(enc["O"]).(str)
	u, _ := r.resolve(enc["U"]).(str)
	d := &decrypter{str: methodRC4, stm: methodRC4}
	if v >= 4 {
		d.str = r.cryptFilter(enc, "StrF")
		d.stm = r.cryptFilter(enc, "StmF")
	}
	var ok bool
	if rev >= 5 {
		ue, _ := r.resolve(enc["UE"]).(str)
		d.key, ok = aes256Key(rev, u, ue)
	} else {
		d.key = r.rc4Key(enc, rev, o)
		ok = checkUser(d.key, rev, u, r.fileID())
	}
	if !ok {
		return nil, fmt.Errorf("pdf needs a user password (revision %d): %w", rev, ErrEncrypted)
	}
	return d, nil
}

func (r *reader) cryptFilter(enc dict, which name) cryptMethod {
	n, _ := r.resolve(enc[which]).(name)
	if n == "" || n == "Identity" {
		return methodIdentity
	}
	cf := r.dict(r.dict(enc["CF"])[n])
	switch m, _ := r.resolve(cf["CFM"]).(name); m {
	case "AESV2":
		return methodAESV2
	case "AESV3":
		return methodAESV3
	case "None":
		return methodIdentity
	}
	return methodRC4
}

func (r *reader) fileID() []byte {
	if ids, ok := r.resolve(r.trailer["ID"]).(array); ok && len(ids) > 0 {
		id, _ := r.resolve(ids[0]).(str)
		return id
	}
	return nil
}

// rc4Key is Algorithm 2 with the empty password.
func (r *reader) rc4Key(enc dict, rev int, o []byte) []byte {
	n := 5
	if rev >= 3 {
		bits, ok := r.resolve(enc["Length"]).(int)
		if !ok {
			bits = 40
			if cf := r.dict(r.dict(enc["CF"])["StdCF"]); cf != nil {
				bits, _ = r.resolve(cf["Length"]).(int)
				if bits <= 32 { // some writers give bytes
					bits *= 8
				}
			}
		}
		n = min(max(bits/8, 5), 16)
	}
	p, _ := r.resolve(enc["P"]).(int)
	h := md5.New()
	h.Write(padding)
	h.Write(o[:min(len(o), 32)])
	h.Write(binary.LittleEndian.AppendUint32(nil, uint32(int32(p))))
	h.Write(r.fileID())
	if em, ok := r.resolve(enc["EncryptMetadata"]).(bool); rev >= 4 && ok && !em {
		h.Write([]byte{0xff, 0xff, 0xff, 0xff})
	}
	key := h.Sum(nil)[:n]
	if rev >= 3 {
		for range 50 {
			s := md5.Sum(key)
			key = s[:n]
		}
	}
	return key
}

// checkUser is Algorithms 4 and 5: does the key open the file?
func checkUser(key []byte, rev int, u []byte, id []byte) bool {
	if rev < 3 {
		out := rc4XOR(key, padding)
		return len(u) >= 32 && bytes.Equal(out, u[:32])
	}
	h := md5.New()
	h.Write(padding)
	h.Write(id)
	x := h.Sum(nil)
	k := make([]byte, len(key))
	for i := range 20 {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		x = rc4XOR(k, x)
	}
	return len(u) >= 16 && bytes.Equal(x, u[:16])
}

func rc4XOR(key, b []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		return nil
	}
	out := make([]byte, len(b))
	c.XORKeyStream(out, b)
	return out
}

// aes256Key is Algorithm 2.A with the empty password.
func aes256Key(rev int, u, ue []byte) ([]byte, bool) {
	if len(u) < 48 || len(ue) < 32 {
		return nil, false
	}
	if !bytes.Equal(hash2B(rev, nil, u[32:40], nil), u[:32]) {
		return nil, false
	}
	ik := hash2B(rev, nil, u[40:48], nil)
	blk, err := aes.NewCipher(ik)
	if err != nil {
		return nil, false
	}
	key := make([]byte, 32)
	cipher.NewCBCDecrypter(blk, make([]byte, 16)).CryptBlocks(key, ue[:32])
	return key, true
}

// hash2B is Algorithm 2.B (revision 6); revision 5 is one SHA-256.
func hash2B(rev int, pwd, salt, udata []byte) []byte {
	k := sha256.Sum256(append(append(append([]byte{}, pwd...), salt...), udata...))
	if rev < 6 {
		return k[:]
	}
	key := k[:]
	for i := 0; ; i++ {
		k1 := bytes.Repeat(append(append(append([]byte{}, pwd...), key...), udata...), 64)
		blk, _ := aes.NewCipher(key[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(blk, key[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, c := range e[:16] {
			sum += int(c)
		}
		var h hash.Hash
		switch sum % 3 {
		case 0:
			h = sha256.New()
		case 1:
			h = sha512.New384()
		default:
			h = sha512.New()
		}
		h.Write(e)
		key = h.Sum(nil)
		if i >= 63 && int(e[len(e)-1]) <= i-32 {
			return key[:32]
		}
	}
}

// objectKey is Algorithm 1: the key for one object's strings and streams.
func (d *decrypter) objectKey(ref objRef, m cryptMethod) []byte {
	if m == methodAESV3 {
		return d.key
	}
	b := append([]byte{}, d.key...)
	b = append(b, byte(ref.num), byte(ref.num>>8), byte(ref.num>>16), byte(ref.gen), byte(ref.gen>>8))
	if m == methodAESV2 {
		b = append(b, "sAlT"...)
	}
	s := md5.Sum(b)
	return s[:min(len(d.key)+5, 16)]
}

func (d *decrypter) decrypt(ref objRef, m cryptMethod, b []byte) []byte {
	switch m {
	case methodRC4:
		return rc4XOR(d.objectKey(ref, m), b)
	case methodAESV2, methodAESV3:
		return aesCBC(d.objectKey(ref, m), b)
	}
	return b
}

// aesCBC decrypts data whose first 16 bytes are the IV and drops the
// padding.
func aesCBC(key, b []byte) []byte {
	blk, err := aes.NewCipher(key)
	if err != nil || len(b) < 32 {
		return nil
	}
	body := append([]byte{}, b[16:len(b)-(len(b)%16)]...)
	cipher.NewCBCDecrypter(blk, b[:16]).CryptBlocks(body, body)
	if n := len(body); n > 0 {
		if p := int(body[n-1]); p >= 1 && p <= 16 && p <= n {
			body = body[:n-p]
		}
	}
	return body
}

func (d *decrypter) decryptStream(ref objRef, sd dict, b []byte) []byte {
	if f, _ := sd["Filter"].(array); len(f) > 0 && f[0] == name("Crypt") {
		return b // an Identity crypt filter of its own
	}
	return d.decrypt(ref, d.stm, b)
}

// decryptStrings decrypts the strings inside v, in place where it can.
func (d *decrypter) decryptStrings(ref objRef, v any) any {
	switch x := v.(type) {
	case str:
		return str(d.decrypt(ref, d.str, x))
	case dict:
		for k, e := range x {
			x[k] = d.decryptStrings(ref, e)
		}
	case array:
		for i, e := range x {
			x[i] = d.decryptStrings(ref, e)
		}
	}
	return v
}
