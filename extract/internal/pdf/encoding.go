package pdf

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// The simple fonts' base encodings.
var winAnsi, macRoman, stdEnc [256]rune

// stdHigh is StandardEncoding above 0xA0 (ISO 32000-2 Annex D).
var stdHigh = map[byte]rune{
	0xa1: '¡', 0xa2: '¢', 0xa3: '£', 0xa4: '⁄', 0xa5: '¥', 0xa6: 'ƒ', 0xa7: '§', 0xa8: '¤', 0xa9: '\'',
	0xaa: '“', 0xab: '«', 0xac: '‹', 0xad: '›', 0xae: 'ﬁ', 0xaf: 'ﬂ', 0xb1: '–', 0xb2: '†', 0xb3: '‡',
	0xb4: '·', 0xb6: '¶', 0xb7: '•', 0xb8: '‚', 0xb9: '„', 0xba: '”', 0xbb: '»', 0xbc: '…', 0xbd: '‰',
	0xbf: '¿', 0xc1: '`', 0xc2: '´', 0xc3: 'ˆ', 0xc4: '˜', 0xc5: '¯', 0xc6: '˘', 0xc7: '˙', 0xc8: '¨',
	0xca: '˚', 0xcb: '¸', 0xcd: '˝', 0xce: '˛', 0xcf: 'ˇ', 0xd0: '—', 0xe1: 'Æ', 0xe3: 'ª', 0xe8: 'Ł',
	0xe9: 'Ø', 0xea: 'Œ', 0xeb: 'º', 0xf1: 'æ', 0xf5: 'ı', 0xf8: 'ł', 0xf9: 'ø', 0xfa: 'œ', 0xfb: 'ß',
}

// glyphNames maps the glyph names of Differences arrays to text. It is
// built from the names of the Latin encodings' characters, the accented
// letters (base letter and accent name), and the names below.
var glyphNames = map[string]string{
	"space": " ", "exclam": "!", "quotedbl": "\"", "numbersign": "#", "dollar": "$", "percent": "%",
	"ampersand": "&", "quotesingle": "'", "quoteright": "’", "parenleft": "(", "parenright": ")",
	"asterisk": "*", "plus": "+", "comma": ",", "hyphen": "-", "period": ".", "slash": "/", "zero": "0",
	"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
	"nine": "9", "colon": ":", "semicolon": ";", "less": "<", "equal": "=", "greater": ">", "question": "?",
	"at": "@", "bracketleft": "[", "backslash": "\\", "bracketright": "]", "asciicircum": "^",
	"underscore": "_", "grave": "`", "quoteleft": "‘", "braceleft": "{", "bar": "|", "braceright": "}",
	"asciitilde": "~", "bullet": "•", "endash": "–", "emdash": "—", "ellipsis": "…", "quotedblleft": "“",
	"quotedblright": "”", "quotesinglbase": "‚", "quotedblbase": "„", "guillemotleft": "«",
	"guillemotright": "»", "guilsinglleft": "‹", "guilsinglright": "›", "dagger": "†", "daggerdbl": "‡",
	"perthousand": "‰", "trademark": "™", "copyright": "©", "registered": "®", "degree": "°", "minus": "−",
	"section": "§", "paragraph": "¶", "euro": "€", "Euro": "€", "nbspace": "\u00a0", "sfthyphen": "\u00ad",
	"fi": "fi", "fl": "fl", "ff": "ff", "ffi": "ffi", "ffl": "ffl", "dotlessi": "ı", "dotlessj": "ȷ",
	"germandbls": "ß", "AE": "Æ", "ae": "æ", "OE": "Œ", "oe": "œ", "Oslash": "Ø", "oslash": "ø", "Lslash": "Ł",
	"lslash": "ł", "Eth": "Ð", "eth": "ð", "Thorn": "Þ", "thorn": "þ", "multiply": "×", "divide": "÷",
	"plusminus": "±", "periodcentered": "·", "middot": "·", "fraction": "⁄", "mu": "µ", "cent": "¢",
	"sterling": "£", "yen": "¥", "florin": "ƒ", "currency": "¤", "exclamdown": "¡", "questiondown": "¿",
	"ordfeminine": "ª", "ordmasculine": "º", "onehalf": "½", "onequarter": "¼", "threequarters": "¾",
	"onesuperior": "¹", "twosuperior": "²", "threesuperior": "³", "logicalnot": "¬", "brokenbar": "¦",
	"dieresis": "¨", "acute": "´", "cedilla": "¸", "macron": "¯", "circumflex": "ˆ", "tilde": "˜",
	"caron": "ˇ", "breve": "˘", "dotaccent": "˙", "ring": "˚", "ogonek": "˛", "hungarumlaut": "˝",
	"arrowright": "→", "arrowleft": "←", "checkmark": "✓", "visiblespace": "␣", "circlecopyrt": "©",
}

// accentNames names the combining marks in glyph names ("eacute").
var accentNames = map[rune][]string{
	'\u0301': {"acute"}, '\u0300': {"grave"}, '\u0302': {"circumflex"}, '\u0308': {"dieresis"},
	'\u0303': {"tilde"}, '\u030a': {"ring"}, '\u0327': {"cedilla", "commaaccent"}, '\u030c': {"caron"},
	'\u0304': {"macron"}, '\u0306': {"breve"}, '\u0328': {"ogonek"}, '\u0307': {"dotaccent"},
	'\u030b': {"hungarumlaut"}, '\u0326': {"commaaccent"},
}

func init() {
	for i := range 256 {
		winAnsi[i] = charmap.Windows1252.DecodeByte(byte(i))
		macRoman[i] = charmap.Macintosh.DecodeByte(byte(i))
		if i < 0x80 {
			stdEnc[i] = rune(i)
		}
	}
	stdEnc['\''], stdEnc['`'] = '’', '‘'
	for c, r := range stdHigh {
		stdEnc[c] = r
	}
	for r := rune(0xc0); r < 0x250; r++ {
		d := []rune(norm.NFD.String(string(r)))
		if len(d) != 2 || d[0] > 0x7f {
			continue
		}
		for _, a := range accentNames[d[1]] {
			if _, ok := glyphNames[string(d[0])+a]; !ok {
				glyphNames[string(d[0])+a] = string(r)
			}
		}
	}
}

func baseEncoding(n name) *[256]rune {
	switch n {
	case "MacRomanEncoding":
		return &macRoman
	case "StandardEncoding":
		return &stdEnc
	}
	return &winAnsi
}

// glyphText maps a glyph name to text: a known name, "uniXXXX",
// "uXXXX", a ligature "f_f_i", a suffixed variant "a.sc"; "" if unknown.
func glyphText(n string) string {
	if i := strings.IndexByte(n, '.'); i > 0 {
		n = n[:i]
	}
	if len(n) <= 1 {
		return n
	}
	if t, ok := glyphNames[n]; ok {
		return t
	}
	if strings.Contains(n, "_") {
		var b strings.Builder
		for p := range strings.SplitSeq(n, "_") {
			b.WriteString(glyphText(p))
		}
		return b.String()
	}
	return hexGlyph(n)
}

// hexGlyph reads "uniXXXX[XXXX...]" and "uXXXX[XX]".
func hexGlyph(n string) string {
	switch {
	case strings.HasPrefix(n, "uni") && len(n) >= 7 && (len(n)-3)%4 == 0:
		var b strings.Builder
		for i := 3; i < len(n); i += 4 {
			v, err := strconv.ParseUint(n[i:i+4], 16, 32)
			if err != nil {
				return ""
			}
			b.WriteRune(rune(v))
		}
		return b.String()
	case len(n) >= 5 && len(n) <= 7 && n[0] == 'u':
		if v, err := strconv.ParseUint(n[1:], 16, 32); err == nil && v <= unicode.MaxRune {
			return string(rune(v))
		}
	}
	return ""
}
