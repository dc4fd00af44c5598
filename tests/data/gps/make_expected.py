#!/usr/bin/env python3
"""Independent reference for the gps golden tests.

Re-derives, in plain Python and without the C++ code, what each captured log in
../shared/data/nmea/ contains: checksum-verified sentences, bad and missing checksums, epochs
(runs of sentences with one UTC time of day), fixes, first/last good-fix UTC, max speed and the
odometer distance under the rule documented in gps/include/tta/gps/odometer.hpp.

Usage: make_expected.py SHARED_NMEA_DIR OUT_DIR   (writes OUT_DIR/<log>.expected)
"""
import math, os, sys, datetime

R = 6371008.8
MAX_HDOP, MIN_SATS, STAT_KMH, NOISE_M, MAX_KMH, MAX_GAP_S = 5.0, 4, 1.5, 5.0, 200.0, 5.0


def checksum_ok(line):
    body, star, cs = line[1:].rpartition('*')
    if not star:
        return None
    if len(cs) != 2:
        return False
    try:
        want = int(cs, 16)
    except ValueError:
        return False
    x = 0
    for ch in body:
        x ^= ord(ch)
    return x == want


def tod(s):
    if not s:
        return None
    ms = (int(s[0:2]) * 3600 + int(s[2:4]) * 60 + int(s[4:6])) * 1000
    if len(s) > 7:
        frac = (s[7:] + '000')[:3]
        ms += int(frac)
    return ms


def coord(v, h):
    if not v or not h:
        return None
    x = float(v)
    d = math.floor(x / 100)
    r = d + (x - d * 100) / 60
    return -r if h in 'SW' else r


def num(s):
    return float(s) if s else None


def hav(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * R * math.asin(min(1.0, math.sqrt(h)))


def new_epoch(t):
    return dict(t=t, date=None, pos=None, status=None, quality=None, mode=None, hdop=None,
                sats=None, speed=None)


def merge(e, typ, f):
    if typ == 'RMC':
        valid = f[2] == 'A' and (len(f) <= 12 or f[12] != 'N')
        e['status'] = valid
        if f[9] and e['date'] is None:
            yy = int(f[9][4:6])
            e['date'] = (2000 + yy if yy < 80 else 1900 + yy, int(f[9][2:4]), int(f[9][0:2]))
        if valid:
            p = (coord(f[3], f[4]), coord(f[5], f[6]))
            if e['pos'] is None and None not in p:
                e['pos'] = p
            if e['speed'] is None and f[7]:
                e['speed'] = float(f[7]) * 1.852
    elif typ == 'GGA':
        q = int(f[6]) if f[6] else None
        if e['quality'] is None and q is not None:
            e['quality'] = q
        if e['sats'] is None and f[7]:
            e['sats'] = int(f[7])
        if e['hdop'] is None and f[8]:
            e['hdop'] = float(f[8])
        if q:
            p = (coord(f[2], f[3]), coord(f[4], f[5]))
            if e['pos'] is None and None not in p:
                e['pos'] = p
    elif typ == 'GSA':
        if e['mode'] is None and f[2]:
            e['mode'] = int(f[2])
        if e['hdop'] is None and len(f) > 16 and f[16]:
            e['hdop'] = float(f[16])
    elif typ == 'VTG':
        old = len(f) == 5 and f[2] != 'T'
        mode = '' if old or len(f) < 10 else f[9]
        if mode == 'N':
            return
        kmh = num(f[4] if old else f[7])
        kn = num(f[3] if old else f[5])
        if e['speed'] is None:
            e['speed'] = kmh if kmh is not None else (kn * 1.852 if kn is not None else None)
    elif typ == 'GLL':
        valid = len(f) > 6 and f[6] == 'A' and (len(f) <= 7 or f[7] != 'N')
        if e['status'] is None:
            e['status'] = valid
        if valid:
            p = (coord(f[1], f[2]), coord(f[3], f[4]))
            if e['pos'] is None and None not in p:
                e['pos'] = p
    elif typ == 'ZDA':
        if e['date'] is None and f[2] and f[3] and f[4]:
            e['date'] = (int(f[4]), int(f[3]), int(f[2]))


def has_fix(e):
    return (e['pos'] is not None and e['status'] is not False
            and (e['quality'] is None or e['quality'] in (1, 2, 3, 4, 5))
            and (e['mode'] is None or e['mode'] in (2, 3)))


def utc(e):
    if e['date'] is None:
        return None
    y, m, d = e['date']
    return datetime.datetime(y, m, d, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=e['t'])


def iso(t):
    ms = t.microsecond // 1000
    s = t.strftime('%Y-%m-%dT%H:%M:%S')
    return s + ('.%03dZ' % ms if ms else 'Z')


def analyse(path):
    c = dict(sentences=0, bad_checksum=0, no_checksum=0)
    epochs = []
    cur = None
    for raw in open(path, 'rb').read().decode('ascii', 'replace').splitlines():
        if raw.startswith('#') or not raw.startswith('$'):
            continue
        ok = checksum_ok(raw)
        if ok is None:
            c['no_checksum'] += 1
            continue
        if not ok:
            c['bad_checksum'] += 1
            continue
        c['sentences'] += 1
        body = raw[1:raw.rindex('*')]
        f = body.split(',')
        if len(f[0]) != 5 or f[0][0] == 'P':
            continue
        typ = f[0][2:]
        if typ not in ('RMC', 'GGA', 'GSA', 'VTG', 'GLL', 'ZDA'):
            continue
        t = None
        if typ in ('RMC', 'GGA', 'ZDA'):
            t = tod(f[1])
        elif typ == 'GLL' and len(f) > 5:
            t = tod(f[5])
        if t is None:
            if cur is not None:
                merge(cur, typ, f)
            continue
        if cur is None or cur['t'] != t:
            cur = new_epoch(t)
            epochs.append(cur)
        merge(cur, typ, f)
    c['epochs'] = len(epochs)
    c['fixes'] = sum(1 for e in epochs if has_fix(e))
    # Odometer (rule of gps/include/tta/gps/odometer.hpp).
    good = [e for e in epochs if has_fix(e) and (e['hdop'] is None or e['hdop'] <= MAX_HDOP)
            and (e['sats'] is None or e['sats'] >= MIN_SATS)]
    dist, anchor, prev = 0.0, None, None
    for e in good:
        if anchor is None:
            anchor = prev = e
            continue
        ta, tb = utc(prev), utc(e)
        dt = (tb - ta).total_seconds() if ta and tb else None
        p = prev
        prev = e
        if dt is not None and dt <= 0:
            anchor = e
            continue
        if dt is not None and hav(p['pos'], e['pos']) / dt * 3.6 > MAX_KMH:
            anchor = e
            continue
        d = hav(anchor['pos'], e['pos'])
        radius = (max(e['hdop'], 1.0) if e['hdop'] is not None else 2.0) * NOISE_M
        if e['speed'] is not None and dt is not None and dt <= MAX_GAP_S:
            if e['speed'] < STAT_KMH:
                continue
        elif d <= radius:
            continue
        dist += d
        anchor = e
    c['good_fixes'] = len(good)
    times = [utc(e) for e in good if utc(e) is not None]
    c['first_fix_utc'] = iso(times[0]) if times else 'null'
    c['last_fix_utc'] = iso(times[-1]) if times else 'null'
    speeds = [e['speed'] for e in good if e['speed'] is not None]
    c['max_speed_kmh'] = '%.3f' % max(speeds) if speeds else 'null'
    c['distance_m'] = '%.2f' % dist
    return c


def main():
    src, out = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(src)):
        if not name.endswith('.log'):
            continue
        c = analyse(os.path.join(src, name))
        with open(os.path.join(out, name[:-4] + '.expected'), 'w') as fh:
            fh.write('# generated by make_expected.py from ../shared/data/nmea/%s\n' % name)
            for k in ('sentences', 'bad_checksum', 'no_checksum', 'epochs', 'fixes', 'good_fixes',
                      'first_fix_utc', 'last_fix_utc', 'max_speed_kmh', 'distance_m'):
                fh.write('%s=%s\n' % (k, c[k]))


if __name__ == '__main__':
    main()
