import { create } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  NodeProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';

/** An attribute value of an ONNX node: int, float, string, int list or float list. */
export type AttributeValue = number | bigint | string | number[] | { floats: number[] } | { float: number };

/** Element types this project writes. */
export type ElementType = 'float' | 'int64' | 'bool';

/** One dimension of a graph input/output: a fixed size or a symbolic name (e.g. `batch`). */
export type Dim = number | string;

const elementTypeCode: Record<ElementType, TensorProto_DataType> = {
  float: TensorProto_DataType.FLOAT,
  int64: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
};

/**
 * Builds an ONNX GraphProto node by node with unique tensor names.
 * Names are generated from a prefix so graphs stay readable in Netron.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  /** Prepended to generated names (one model of an ensemble); the shared int64 constants ignore it. */
  private scope = '';
  /** Small constants are shared: the same (prefix, values, dims) gives the same initializer. */
  private readonly constants = new Map<string, string>();
  /** Operator-set domains that nodes used (besides the default domain). */
  readonly domains = new Set<string>();

  /** Returns a fresh tensor name starting with `prefix` (after the current scope, if any). */
  fresh(prefix: string): string {
    return this.unscopedFresh(this.scope + prefix);
  }

  private unscopedFresh(prefix: string): string {
    let name = prefix;
    while (this.used.has(name)) name = `${prefix}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /**
   * Runs `build` with `scope` prepended to every generated name (e.g. `m1_`), so that several copies of
   * one network stay readable side by side in a graph viewer.
   */
  withScope<T>(scope: string, build: () => T): T {
    const outer = this.scope;
    this.scope = outer + scope;
    try {
      return build();
    } finally {
      this.scope = outer;
    }
  }

  /** Declares a graph input. */
  input(name: string, type: ElementType, dims: Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output (the tensor must be produced by a node). */
  output(name: string, type: ElementType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Adds a float32 initializer. */
  floatTensor(prefix: string, values: Float32Array, dims: number[]): string {
    assertSize(prefix, values.length, dims);
    const name = this.fresh(prefix);
    const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    this.initializers.push(tensorProto(name, TensorProto_DataType.FLOAT, dims, littleEndianBytes(raw)));
    return name;
  }

  /** Adds an int64 initializer. */
  int64Tensor(prefix: string, values: readonly number[], dims: number[] = [values.length]): string {
    assertSize(prefix, values.length, dims);
    const key = `${prefix}|${values.join(',')}|${dims.join(',')}`;
    const cached = this.constants.get(key);
    if (cached) return cached;
    // Constants depend only on the config, so ensemble members share them: no scope in the name.
    const name = this.unscopedFresh(prefix);
    this.constants.set(key, name);
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push(
      tensorProto(name, TensorProto_DataType.INT64, dims, littleEndianBytes(new Uint8Array(data.buffer))),
    );
    return name;
  }

  /** Adds a node and returns its output names (`outputs` fresh names are made from the op type). */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    outputCount = 1,
    domain = '',
    outputPrefix?: string,
  ): string[] {
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      this.fresh(`${outputPrefix ?? opType.toLowerCase()}${outputCount > 1 ? `_out${i}` : ''}`),
    );
    if (domain) this.domains.add(domain);
    this.nodes.push(
      create(NodeProtoSchema, {
        opType,
        domain,
        name: this.fresh(`node_${opType}`),
        input: inputs,
        output: outputs,
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return outputs;
  }

  /** Adds a single-output node and returns the output name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputPrefix?: string): string {
    return this.node(opType, inputs, attributes, 1, '', outputPrefix)[0];
  }

  /** Adds an `Identity` node whose output has exactly `name` (used for named graph outputs). */
  rename(input: string, name: string): string {
    this.used.add(name);
    this.nodes.push(
      create(NodeProtoSchema, {
        opType: 'Identity',
        name: this.fresh(`node_out_${name}`),
        input: [input],
        output: [name],
      }),
    );
    return name;
  }

  /** Number of nodes so far (for tests and benchmarks). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The finished graph. */
  build(name: string): GraphProto {
    return create(GraphProtoSchema, {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
  }
}

function assertSize(name: string, length: number, dims: number[]): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== length) {
    throw new Error(`tensor ${name}: ${length} values do not fill shape [${dims.join(', ')}] (${expected})`);
  }
}

// ONNX raw_data is little-endian; every platform Node supports here is little-endian, but check once.
const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function littleEndianBytes(bytes: Uint8Array): Uint8Array {
  if (!isLittleEndian) throw new Error('ONNX export requires a little-endian host');
  return bytes;
}

function tensorProto(name: string, dataType: TensorProto_DataType, dims: number[], rawData: Uint8Array): TensorProto {
  return create(TensorProtoSchema, {
    name,
    dataType,
    dims: dims.map((d) => BigInt(d)),
    rawData: rawData as Uint8Array<ArrayBuffer>,
  });
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: elementTypeCode[type],
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
              }),
            ),
          }),
        }),
      },
    }),
  });
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'string') {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.STRING,
      s: new TextEncoder().encode(value) as Uint8Array<ArrayBuffer>,
    });
  }
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) {
      throw new Error(`attribute ${name}: ${value} is not an integer (use { float } for floats)`);
    }
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
  }
  if (Array.isArray(value)) {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.INTS,
      ints: value.map((v) => BigInt(v)),
    });
  }
  if ('floats' in value) {
    return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: value.floats });
  }
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: value.float });
}
