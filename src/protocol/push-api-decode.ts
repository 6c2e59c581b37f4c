import { fromBinary } from '@bufbuild/protobuf';
import { type PushRequest, PushRequestSchema } from './gen/push/v1/push_pb.js';

export { PUSH_PATH } from './push-api.js';

/**
 * A `PushRequest` read with the generated messages: for the receiver and tests only. Kept apart from
 * push-api.ts so that sending never loads the reflection runtime or the generated descriptors.
 */
export function decodePushRequest(body: Uint8Array): PushRequest {
  return fromBinary(PushRequestSchema, body);
}
