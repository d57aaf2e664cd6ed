package saved

// unixTime writes Unix seconds in resource.TimeLayout, as resource.UnixTime
// does, without going through time.Time formatting: an estate of a million
// secrets has three instants each, and this is several times faster. The
// caller keeps sec within minUnix..maxUnix; a test checks it against
// resource.UnixTime.
func unixTime(sec int64) string {
	var b [20]byte
	return string(appendUnixTime(b[:0], sec))
}

// appendUnixTime appends unixTime(sec) to dst.
func appendUnixTime(dst []byte, sec int64) []byte {
	return (*dayCache)(nil).appendUnixTime(dst, sec)
}

// dayCache remembers the dates of recent days, as written in an instant
// ("2026-12-06"): the dates of a million secrets' instants fall on a few
// thousand days, and the calendar arithmetic and digits of the date were
// most of the cost of writing an instant. Direct-mapped by day; a nil
// cache computes every date.
type dayCache struct {
	days [1024]int64
	date [1024][10]byte
	ok   [1024]bool
}

// appendUnixTime appends unixTime(sec) to dst.
func (dc *dayCache) appendUnixTime(dst []byte, sec int64) []byte {
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	var b [20]byte
	put := func(i, n, width int) {
		for j := i + width - 1; j >= i; j-- {
			b[j] = byte('0' + n%10)
			n /= 10
		}
	}
	k := int(uint64(days) % uint64(len(dc.days)))
	if dc != nil && dc.ok[k] && dc.days[k] == days {
		copy(b[:10], dc.date[k][:])
	} else {
		y, m, d := civil(days)
		put(0, int(y), 4)
		b[4] = '-'
		put(5, m, 2)
		b[7] = '-'
		put(8, d, 2)
		if dc != nil {
			dc.days[k], dc.ok[k] = days, true
			copy(dc.date[k][:], b[:10])
		}
	}
	b[10] = 'T'
	put(11, int(rem/3600), 2)
	b[13] = ':'
	put(14, int(rem/60%60), 2)
	b[16] = ':'
	put(17, int(rem%60), 2)
	b[19] = 'Z'
	return append(dst, b[:]...)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(z int64) (year int64, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, int(m), int(d)
}
