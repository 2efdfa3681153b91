"""The index container's checksums, for tests that edit saved index files and re-checksum them.

Format 1 files carry FNV-1a 64 (16 hex digits in the header), format 2 files CRC-32C
(Castagnoli, 8 hex digits); docs/formats.md has the layout. Pure Python: the files tests
craft are small.
"""


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def checksum(file_format, data):
    """(value, hex) of `data` as an index file of `file_format` checksums it."""
    if file_format >= 2:
        value = crc32c(data)
        return value, format(value, "08x")
    value = fnv1a64(data)
    return value, format(value, "016x")
