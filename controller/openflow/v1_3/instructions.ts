import { Reader, Writer } from '../buf';
import { OfpDecodeError, OfpEncodeError } from '../errors';
import { assertNever, type Instruction } from '../types';
import { decodeActions13, encodeActions13 } from './actions';
import * as C from './constants';

/** Decodes the instruction list that fills the rest of `r`. Unknown instructions are kept raw. */
export function decodeInstructions13(r: Reader): Instruction[] {
  const out: Instruction[] = [];
  while (r.remaining > 0) {
    r.need(4, 'instruction header');
    const start = r.pos;
    const type = r.u16();
    const len = r.u16();
    if (len < C.OFP_INSTRUCTION_GOTO_TABLE_SIZE || len % 8 !== 0) throw new OfpDecodeError(`bad instruction length ${len}`);
    r.pos = start;
    const i = r.sub(len, 'instruction');
    i.skip(4);
    switch (type) {
      case C.OFPIT_GOTO_TABLE:
        expectInstructionSize(type, len, C.OFP_INSTRUCTION_GOTO_TABLE_SIZE);
        out.push({ type: 'goto_table', table_id: i.u8() });
        break;
      case C.OFPIT_WRITE_METADATA:
        expectInstructionSize(type, len, C.OFP_INSTRUCTION_WRITE_METADATA_SIZE);
        i.skip(4);
        out.push({ type: 'write_metadata', metadata: i.u64(), metadata_mask: i.u64() });
        break;
      case C.OFPIT_WRITE_ACTIONS:
      case C.OFPIT_APPLY_ACTIONS: {
        i.skip(4);
        const actions = decodeActions13(i, i.remaining);
        out.push({ type: type === C.OFPIT_WRITE_ACTIONS ? 'write_actions' : 'apply_actions', actions });
        break;
      }
      case C.OFPIT_CLEAR_ACTIONS:
        expectInstructionSize(type, len, C.OFP_INSTRUCTION_ACTIONS_SIZE);
        out.push({ type: 'clear_actions' });
        break;
      default:
        out.push({ type: 'raw', instruction_type: type, raw: Buffer.from(r.buf.subarray(start, start + len)) });
    }
  }
  return out;
}

/** Fixed-size instructions must have exactly their size (a top-level function, not a closure per instruction: see README.md). */
function expectInstructionSize(type: number, len: number, size: number): void {
  if (len !== size) throw new OfpDecodeError(`instruction type ${type} must be ${size} bytes, is ${len}`);
}

export function encodeInstructions13(w: Writer, instructions: readonly Instruction[]): void {
  for (const ins of instructions) {
    switch (ins.type) {
      case 'goto_table':
        w.u16(C.OFPIT_GOTO_TABLE).u16(8).u8(ins.table_id).zeros(3);
        break;
      case 'write_metadata':
        w.u16(C.OFPIT_WRITE_METADATA).u16(24).zeros(4).u64(ins.metadata).u64(ins.metadata_mask);
        break;
      case 'write_actions':
      case 'apply_actions': {
        const start = w.length;
        w.u16(ins.type === 'write_actions' ? C.OFPIT_WRITE_ACTIONS : C.OFPIT_APPLY_ACTIONS);
        w.u16(0).zeros(4); // len, set once the actions are written
        encodeActions13(w, ins.actions);
        w.setU16(start + 2, w.length - start);
        break;
      }
      case 'clear_actions':
        w.u16(C.OFPIT_CLEAR_ACTIONS).u16(8).zeros(4);
        break;
      case 'raw':
        if (ins.raw.length < 8 || ins.raw.length % 8 !== 0) throw new OfpEncodeError('raw instruction must be a multiple of 8 bytes');
        w.bytes(ins.raw);
        break;
      default:
        assertNever(ins, 'instruction');
    }
  }
}
