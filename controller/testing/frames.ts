// Test helper: builds Ethernet frames the way hosts send them (no I/O).
export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(":").map((h) => parseInt(h, 16)));
}

export function ethFrame(dst: string, src: string, ethType: number, payload: Buffer = Buffer.alloc(46)): Buffer {
  const hdr = Buffer.alloc(14);
  macBytes(dst).copy(hdr, 0);
  macBytes(src).copy(hdr, 6);
  hdr.writeUInt16BE(ethType, 12);
  return Buffer.concat([hdr, payload]);
}

export function arpRequest(srcMac: string, srcIp: string, targetIp: string): Buffer {
  const p = Buffer.alloc(28);
  p.writeUInt16BE(1, 0); // Ethernet
  p.writeUInt16BE(0x0800, 2);
  p[4] = 6;
  p[5] = 4;
  p.writeUInt16BE(1, 6); // request
  macBytes(srcMac).copy(p, 8);
  Buffer.from(srcIp.split(".").map(Number)).copy(p, 14);
  Buffer.from(targetIp.split(".").map(Number)).copy(p, 24);
  return ethFrame("ff:ff:ff:ff:ff:ff", srcMac, 0x0806, Buffer.concat([p, Buffer.alloc(18)]));
}
