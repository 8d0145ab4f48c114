// OpenFlow error names as Open vSwitch knows them (the names ovs-ofctl prints, e.g. OFPBRC_BAD_TYPE), where
// each one sits on the wire in every OpenFlow version, and the one error class of the OpenFlow codec.
//
// Each table row is [name, where, description]. `where` lists the encodings: VENDOR VERSIONS(type[,code]),
// e.g. 'NX1.0-1.1(1,514) OF1.2+(1,11)'. OF is a standard (type, code); NX and ONF are vendor errors. In
// OpenFlow 1.0/1.1 a vendor error travels as type NXET_VENDOR with a struct nx_vendor_error (vendor, type,
// code); from 1.2 on as type OFPET12_EXPERIMENTER, the code field holding the vendor's type, then the
// experimenter id. A version with no encoding for an error sends NXBRC_UNENCODABLE_ERROR instead.

/** Vendor ids that appear in error encodings and vendor messages. */
export const OF_VENDOR_ID = 0;
export const NX_VENDOR_ID = 0x00002320;
export const ONF_VENDOR_ID = 0x4f4e4600;
export const HPL_VENDOR_ID = 0x000004ea;

/** Type of an OpenFlow 1.0/1.1 error that carries a struct nx_vendor_error. */
export const NXET_VENDOR = 0xb0c2;
/** Code of that error. */
export const NXVC_VENDOR_ERROR = 0;
/** Type of an OpenFlow 1.2+ experimenter error. */
export const OFPET12_EXPERIMENTER = 0xffff;

const ERRORS = [
  ['OFPHFC_INCOMPATIBLE', 'OF1.0+(0,0)', 'No compatible version.'],
  ['OFPHFC_EPERM', 'OF1.0+(0,1)', 'Permissions error.'],
  ['OFPBRC_BAD_VERSION', 'OF1.0+(1,0)', 'ofp_header.version not supported.'],
  ['OFPBRC_BAD_TYPE', 'OF1.0+(1,1)', 'ofp_header.type not supported.'],
  ['OFPBRC_BAD_STAT', 'OF1.0+(1,2)', 'ofp_stats_msg.type not supported.'],
  ['OFPBRC_BAD_VENDOR', 'OF1.0+(1,3)', 'Vendor not supported (in ofp_vendor_header or ofp_stats_msg).'],
  ['OFPBRC_BAD_SUBTYPE', 'OF1.0+(1,4)', 'Vendor subtype not supported.'],
  ['OFPBRC_EPERM', 'OF1.0+(1,5)', 'Permissions error.'],
  ['OFPBRC_BAD_LEN', 'OF1.0+(1,6)', 'Wrong request length for type.'],
  ['OFPBRC_BUFFER_EMPTY', 'OF1.0+(1,7)', 'Specified buffer has already been used.'],
  ['OFPBRC_BUFFER_UNKNOWN', 'OF1.0+(1,8)', 'Specified buffer does not exist.'],
  ['OFPBRC_BAD_TABLE_ID', 'NX1.0(1,512) OF1.1+(1,9)', 'Specified table-id invalid or does not exist.'],
  [
    'OFPBRC_IS_SECONDARY',
    'OF1.0-1.1(1,5) OF1.2+(1,10)',
    'Denied because controller has secondary role. (Secondary controllers have only read-only access.)',
  ],
  ['OFPBRC_BAD_PORT', 'NX1.0-1.1(1,514) OF1.2+(1,11)', 'Invalid or missing port.'],
  ['OFPBRC_BAD_PACKET', 'OF1.2+(1,12)', 'Invalid packet in packet-out.'],
  ['OFPBRC_MULTIPART_BUFFER_OVERFLOW', 'OF1.3+(1,13)', 'Multipart request overflowed the assigned buffer.'],
  ['OFPBRC_MULTIPART_REQUEST_TIMEOUT', 'ONF1.3(2640) OF1.4+(1,14)', 'Timeout during multipart request.'],
  ['OFPBRC_MULTIPART_REPLY_TIMEOUT', 'ONF1.3(2641) OF1.4+(1,15)', 'Timeout during multipart reply.'],
  [
    'OFPBRC_MULTIPART_BAD_SCHED',
    'OF1.5+(1,16)',
    'Switch received a OFPMP_BUNDLE_FEATURES request and failed to update the scheduling tolerance.',
  ],
  ['OFPBRC_PIPELINE_FIELDS_ONLY', 'OF1.5+(1,17)', 'Match fields must include only pipeline fields.'],
  ['OFPBRC_UNKNOWN', 'OF1.5+(1,18)', 'Unspecified error.'],
  ['NXBRC_NXM_INVALID', 'NX1.0-1.1(1,256) NX1.2+(2)', 'Invalid NXM flow match.'],
  [
    'NXBRC_NXM_BAD_TYPE',
    'NX1.0-1.1(1,257) NX1.2+(3)',
    'The nxm_type, or nxm_type taken in combination with nxm_hasmask or nxm_length or both, is invalid or not implemented.',
  ],
  ['NXBRC_MUST_BE_ZERO', 'NX1.0-1.1(1,515) NX1.2+(4)', 'Must-be-zero field had nonzero value.'],
  [
    'NXBRC_BAD_REASON',
    'NX1.0-1.1(1,516) NX1.2+(5)',
    'The reason in an ofp_port_status message is not valid.',
  ],
  [
    'NXBRC_FM_BAD_EVENT',
    'NX1.0-1.1(1,520) NX1.2+(9)',
    "The 'event' in an NXST_FLOW_MONITOR reply does not specify one of the NXFME_ABBREV, NXFME_ADD, NXFME_DELETE, or NXFME_MODIFY.",
  ],
  [
    'NXBRC_UNENCODABLE_ERROR',
    'NX1.0-1.1(1,521) NX1.2+(10)',
    'The error that occurred cannot be represented in this OpenFlow version.',
  ],
  ['OFPBAC_BAD_TYPE', 'OF1.0+(2,0)', 'Unknown or unsupported action type.'],
  ['OFPBAC_BAD_LEN', 'OF1.0+(2,1)', 'Length problem in actions.'],
  ['OFPBAC_BAD_VENDOR', 'OF1.0+(2,2)', 'Unknown experimenter id specified.'],
  ['OFPBAC_BAD_VENDOR_TYPE', 'OF1.0+(2,3)', 'Unknown action type for experimenter id.'],
  ['OFPBAC_BAD_OUT_PORT', 'OF1.0+(2,4)', 'Problem validating output port.'],
  ['OFPBAC_BAD_ARGUMENT', 'OF1.0+(2,5)', 'Bad action argument.'],
  ['OFPBAC_EPERM', 'OF1.0+(2,6)', 'Permissions error.'],
  ['OFPBAC_TOO_MANY', 'OF1.0+(2,7)', "Can't handle this many actions."],
  ['OFPBAC_BAD_QUEUE', 'OF1.0+(2,8)', 'Problem validating output queue.'],
  ['OFPBAC_BAD_OUT_GROUP', 'NX1.0(2,9) OF1.1+(2,9)', 'Invalid group id in output action.'],
  [
    'OFPBAC_MATCH_INCONSISTENT',
    'NX1.0(1,522) OF1.1+(2,10)',
    "Action can't apply for this match or a prerequisite for use of this field is unmet.",
  ],
  [
    'OFPBAC_UNSUPPORTED_ORDER',
    'OF1.1+(2,11)',
    'Action order is unsupported for the action list in an Apply-Actions instruction',
  ],
  ['OFPBAC_BAD_TAG', 'OF1.1+(2,12)', 'Actions uses an unsupported tag/encap.'],
  [
    'OFPBAC_BAD_SET_TYPE',
    'NX1.0-1.1(1,523) OF1.2+(2,13)',
    'Action uses unknown or unsupported OXM or NXM field.',
  ],
  [
    'OFPBAC_BAD_SET_LEN',
    'NX1.0-1.1(1,524) OF1.2+(2,14)',
    'Action references past the end of an OXM or NXM field, or uses a length of zero.',
  ],
  [
    'OFPBAC_BAD_SET_ARGUMENT',
    'NX1.0-1.1(1,525) OF1.2+(2,15)',
    'Action sets a field to an invalid or unsupported value, or modifies a read-only field.',
  ],
  [
    'OFPBAC_BAD_SET_MASK',
    'ONF1.3-1.4(4250) OF1.5+(2,16)',
    'Field in Set-Field action has Has-Mask bit set to 1.',
  ],
  ['OFPBAC_BAD_METER', 'OF1.5+(2,17)', 'Invalid meter id in meter action.'],
  ['NXBAC_MUST_BE_ZERO', 'NX1.0-1.1(2,256) NX1.2+(11)', 'Must-be-zero action argument had nonzero value.'],
  [
    'NXBAC_BAD_CONJUNCTION',
    'NX1.0-1.1(2,526) NX1.2+(15)',
    'Conjunction action must be only action present. conjunction(id, k/n) must satisfy 1 <= k <= n and 2 <= n <= 64.',
  ],
  ['NXBAC_BAD_HEADER_TYPE', 'NX1.3+(39)', 'Unsupported packet type in encap or decap.'],
  ['NXBAC_UNKNOWN_ED_PROP', 'NX1.3+(40)', 'Unrecognized encap or decap property.'],
  ['NXBAC_BAD_ED_PROP', 'NX1.3+(41)', 'Error in encap or decap property.'],
  [
    'NXBAC_CT_DATAPATH_SUPPORT',
    'NX1.0-1.1(1,265) NX1.2+(42)',
    'Action requires connection tracking or a particular connection-tracking based feature that the datapath in use does not support. If a kernel-based datapath is in use, the kernel module may need to be upgraded.',
  ],
  ['OFPBIC_UNKNOWN_INST', 'OF1.1+(3,0)', 'Unknown instruction.'],
  ['OFPBIC_UNSUP_INST', 'NX1.0(2,257) OF1.1+(3,1)', 'Switch or table does not support the instruction.'],
  ['OFPBIC_BAD_TABLE_ID', 'OF1.1+(3,2)', 'Invalid Table-ID specified.'],
  ['OFPBIC_UNSUP_METADATA', 'OF1.1+(3,3)', 'Metadata value unsupported by datapath.'],
  ['OFPBIC_UNSUP_METADATA_MASK', 'OF1.1+(3,4)', 'Metadata mask value unsupported by datapath.'],
  ['OFPBIC_BAD_EXPERIMENTER', 'OF1.1+(3,5)', 'Unknown experimenter id specified.'],
  ['OFPBIC_BAD_EXP_TYPE', 'OF1.1(3,5) OF1.2+(3,6)', 'Unknown instruction for experimenter id.'],
  ['OFPBIC_BAD_LEN', 'OF1.2+(3,7)', 'Length problem in instructions.'],
  ['OFPBIC_EPERM', 'OF1.2+(3,8)', 'Permissions error.'],
  ['OFPBIC_DUP_INST', 'NX1.1(3,256) ONF1.2-1.3(2600) OF1.4+(3,9)', 'Duplicate instruction.'],
  ['OFPBMC_BAD_TYPE', 'OF1.1+(4,0)', 'Unsupported match type specified by the match'],
  ['OFPBMC_BAD_LEN', 'OF1.1+(4,1)', 'Length problem in match.'],
  ['OFPBMC_BAD_TAG', 'OF1.1+(4,2)', 'Match uses an unsupported tag/encap.'],
  [
    'OFPBMC_BAD_DL_ADDR_MASK',
    'OF1.1+(4,3)',
    'Unsupported datalink addr mask - switch does not support arbitrary datalink address mask.',
  ],
  [
    'OFPBMC_BAD_NW_ADDR_MASK',
    'OF1.1+(4,4)',
    'Unsupported network addr mask - switch does not support arbitrary network address mask.',
  ],
  ['OFPBMC_BAD_WILDCARDS', 'NX1.0(1,262) OF1.1+(4,5)', 'Unsupported wildcard specified in the match.'],
  ['OFPBMC_BAD_FIELD', 'NX1.0(0,263) OF1.1+(4,6)', 'Unsupported field in the match.'],
  ['OFPBMC_BAD_VALUE', 'NX1.0(1,258) OF1.1+(4,7)', 'Unsupported value in a match field.'],
  ['OFPBMC_BAD_MASK', 'NX1.0-1.1(1,259) OF1.2+(4,8)', 'Unsupported mask specified in the match.'],
  ['OFPBMC_BAD_PREREQ', 'NX1.0-1.1(1,260) OF1.2+(4,9)', 'A prerequisite was not met.'],
  ['OFPBMC_DUP_FIELD', 'NX1.0-1.1(1,261) OF1.2+(4,10)', 'A field type was duplicated.'],
  ['OFPBMC_EPERM', 'OF1.2+(4,11)', 'Permissions error.'],
  [
    'NXBMC_CT_DATAPATH_SUPPORT',
    'NX1.0-1.1(1,264) NX1.2+(43)',
    'Flow match requires connection tracking or a particular connection-tracking based feature that the datapath in use does not support. If a kernel-based datapath is in use, the kernel module may need to be upgraded.',
  ],
  ['OFPFMFC_UNKNOWN', 'OF1.1+(5,0)', 'Unspecified error.'],
  ['OFPFMFC_TABLE_FULL', 'OF1.0(3,0) OF1.1+(5,1)', 'Flow not added because of full table(s).'],
  ['OFPFMFC_BAD_TABLE_ID', 'OF1.1+(5,2)', 'Table does not exist'],
  [
    'OFPFMFC_OVERLAP',
    'OF1.0(3,1) OF1.1+(5,3)',
    'Attempted to add overlapping flow with CHECK_OVERLAP flag set.',
  ],
  ['OFPFMFC_EPERM', 'OF1.0(3,2) OF1.1+(5,4)', 'Permissions error.'],
  ['OFPFMFC_BAD_TIMEOUT', 'OF1.1+(5,5)', 'Flow not added because of unsupported idle/hard timeout.'],
  ['OFPFMFC_BAD_EMERG_TIMEOUT', 'OF1.0(3,3)', 'Flow not added because of non-zero idle/hard timeout.'],
  ['OFPFMFC_BAD_COMMAND', 'OF1.0(3,4) OF1.1+(5,6)', 'Unsupported or unknown command.'],
  ['OFPFMFC_BAD_FLAGS', 'NX1.0(3,258) NX1.1(5,258) OF1.2+(5,7)', 'Unsupported or unknown flags.'],
  ['OFPFMFC_CANT_SYNC', 'OF1.4+(5,8)', 'Problem in table synchronization.'],
  ['OFPFMFC_BAD_PRIORITY', 'ONF1.3(2360) OF1.4+(5,9)', 'Unsupported priority value.'],
  ['OFPFMFC_IS_SYNC', 'OF1.4+(5,10)', 'Synchronized flow entry is read only.'],
  ['OFPFMFC_UNSUPPORTED', 'OF1.0(3,5)', 'Unsupported action list - cannot process in the order specified.'],
  ['NXFMFC_HARDWARE', 'NX1.0-1.1(5,256) NX1.2+(12)', 'Generic hardware error.'],
  [
    'NXFMFC_BAD_TABLE_ID',
    'NX1.0-1.1(5,257) NX1.2+(13)',
    'A nonexistent table ID was specified in the "command" field of struct ofp_flow_mod, when the nxt_flow_mod_table_id extension is enabled.',
  ],
  [
    'NXFMFC_INVALID_TLV_FIELD',
    'NX1.0-1.1(1,536) NX1.2+(37)',
    'Attempted to add a flow with an invalid variable length meta-flow field.',
  ],
  [
    'OFPGMFC_GROUP_EXISTS',
    'NX1.0(6,0) OF1.1+(6,0)',
    'Group not added because a group ADD attempted to replace an already-present group.',
  ],
  ['OFPGMFC_INVALID_GROUP', 'NX1.0(6,1) OF1.1+(6,1)', 'Group not added because Group specified is invalid.'],
  [
    'OFPGMFC_WEIGHT_UNSUPPORTED',
    'NX1.0(6,2) OF1.1+(6,2)',
    'Switch does not support unequal load sharing with select groups.',
  ],
  ['OFPGMFC_OUT_OF_GROUPS', 'NX1.0(6,3) OF1.1+(6,3)', 'The group table is full.'],
  [
    'OFPGMFC_OUT_OF_BUCKETS',
    'NX1.0(6,4) OF1.1+(6,4)',
    'The maximum number of action buckets for a group has been exceeded.',
  ],
  [
    'OFPGMFC_CHAINING_UNSUPPORTED',
    'NX1.0(6,5) OF1.1+(6,5)',
    'Switch does not support groups that forward to groups.',
  ],
  [
    'OFPGMFC_WATCH_UNSUPPORTED',
    'NX1.0(6,6) OF1.1+(6,6)',
    'This group cannot watch the watch_port or watch_group specified.',
  ],
  ['OFPGMFC_LOOP', 'NX1.0(6,7) OF1.1+(6,7)', 'Group entry would cause a loop.'],
  [
    'OFPGMFC_UNKNOWN_GROUP',
    'NX1.0(6,8) OF1.1+(6,8)',
    'Group not modified because a group MODIFY attempted to modify a non-existent group.',
  ],
  [
    'OFPGMFC_CHAINED_GROUP',
    'NX1.0(6,9) OF1.2+(6,9)',
    'Group not deleted because another group is forwarding to it.',
  ],
  ['OFPGMFC_BAD_TYPE', 'NX1.0(6,10) OF1.2+(6,10)', 'Unsupported or unknown group type.'],
  ['OFPGMFC_BAD_COMMAND', 'NX1.0(6,11) OF1.2+(6,11)', 'Unsupported or unknown command.'],
  ['OFPGMFC_BAD_BUCKET', 'NX1.0(6,12) OF1.2+(6,12)', 'Error in bucket.'],
  ['OFPGMFC_BAD_WATCH', 'NX1.0(6,13) OF1.2+(6,13)', 'Error in watch port/group.'],
  ['OFPGMFC_EPERM', 'NX1.0(6,14) OF1.2+(6,14)', 'Permissions error.'],
  [
    'OFPGMFC_UNKNOWN_BUCKET',
    'NX1.0(6,15) OF1.5+(6,15)',
    'Invalid bucket identifier used in INSERT BUCKET or REMOVE BUCKET command.',
  ],
  [
    'OFPGMFC_BUCKET_EXISTS',
    'NX1.0(6,16) OF1.5+(6,16)',
    "Can't insert bucket because a bucket already exist with that bucket-id.",
  ],
  ['OFPPMFC_BAD_PORT', 'OF1.0(4,0) OF1.1+(7,0)', 'Specified port does not exist.'],
  [
    'OFPPMFC_BAD_HW_ADDR',
    'OF1.0(4,1) OF1.1+(7,1)',
    'Specified hardware address does not match the port number.',
  ],
  ['OFPPMFC_BAD_CONFIG', 'OF1.1+(7,2)', 'Specified config is invalid.'],
  ['OFPPMFC_BAD_ADVERTISE', 'OF1.1+(7,3)', 'Specified advertise is invalid.'],
  ['OFPPMFC_EPERM', 'OF1.2+(7,4)', 'Permissions error.'],
  ['OFPTMFC_BAD_TABLE', 'OF1.1+(8,0)', 'Specified table does not exist.'],
  ['OFPTMFC_BAD_CONFIG', 'OF1.1+(8,1)', 'Specified config is invalid.'],
  ['OFPTMFC_EPERM', 'OF1.2+(8,2)', 'Permissions error.'],
  ['OFPQOFC_BAD_PORT', 'OF1.0(5,0) OF1.1+(9,0)', 'Invalid port (or port does not exist).'],
  ['OFPQOFC_BAD_QUEUE', 'OF1.0(5,1) OF1.1+(9,1)', 'Queue does not exist.'],
  ['OFPQOFC_EPERM', 'OF1.0(5,2) OF1.1+(9,2)', 'Permissions error.'],
  ['NXQOFC_QUEUE_ERROR', 'NX1.4+(23)', 'System error retrieving queue details.'],
  ['OFPSCFC_BAD_FLAGS', 'OF1.1+(10,0)', 'Specified flags is invalid.'],
  ['OFPSCFC_BAD_LEN', 'OF1.1+(10,1)', 'Specified len is invalid.'],
  ['OFPSCFC_EPERM', 'OF1.2+(10,2)', 'Permissions error.'],
  ['OFPRRFC_STALE', 'OF1.2+(11,0)', 'Stale Message: old generation_id.'],
  ['OFPRRFC_UNSUP', 'OF1.2+(11,1)', 'Controller role change unsupported.'],
  ['OFPRRFC_BAD_ROLE', 'NX1.0-1.1(1,513) OF1.2+(11,2)', 'Invalid role.'],
  ['OFPRRFC_ID_UNSUP', 'OF1.5+(11,3)', "Switch doesn't support changing ID."],
  ['OFPRRFC_ID_IN_USE', 'OF1.5+(11,4)', 'Requested ID is in use.'],
  ['OFPMMFC_UNKNOWN', 'OF1.3+(12,0)', 'Unspecified error.'],
  [
    'OFPMMFC_METER_EXISTS',
    'OF1.3+(12,1)',
    'Meter not added because a Meter ADD attempted to replace an existing Meter.',
  ],
  [
    'OFPMMFC_INVALID_METER',
    'OF1.3+(12,2)',
    'Meter not added because meter specified is invalid, or invalid meter in meter action.',
  ],
  [
    'OFPMMFC_UNKNOWN_METER',
    'OF1.3+(12,3)',
    'Meter not modified because a Meter MODIFY attempted to modify a non-existent meter, or bad meter in meter action.',
  ],
  ['OFPMMFC_BAD_COMMAND', 'OF1.3+(12,4)', 'Unsupported or unknown command.'],
  ['OFPMMFC_BAD_FLAGS', 'OF1.3+(12,5)', 'Flag configuration unsupported.'],
  ['OFPMMFC_BAD_RATE', 'OF1.3+(12,6)', 'Rate unsupported.'],
  ['OFPMMFC_BAD_BURST', 'OF1.3+(12,7)', 'Burst size unsupported.'],
  ['OFPMMFC_BAD_BAND', 'OF1.3+(12,8)', 'Band unsupported.'],
  ['OFPMMFC_BAD_BAND_VALUE', 'OF1.3+(12,9)', 'Band value unsupported.'],
  ['OFPMMFC_OUT_OF_METERS', 'OF1.3+(12,10)', 'No more meters available.'],
  [
    'OFPMMFC_OUT_OF_BANDS',
    'OF1.3+(12,11)',
    'The maximum number of properties for a meter has been exceeded.',
  ],
  ['OFPTFFC_BAD_TABLE', 'OF1.3+(13,0)', 'Specified table does not exist.'],
  ['OFPTFFC_BAD_METADATA', 'OF1.3+(13,1)', 'Invalid metadata mask.'],
  ['OFPTFFC_EPERM', 'OF1.3+(13,5)', 'Permissions error.'],
  ['OFPTFFC_BAD_CAPA', 'OF1.5+(13,6)', 'Invalid capability field.'],
  ['OFPTFFC_BAD_MAX_ENT', 'OF1.5+(13,7)', 'Invalid max_entries field.'],
  ['OFPTFFC_BAD_FEATURES', 'OF1.5+(13,8)', 'Invalid features field.'],
  ['OFPTFFC_BAD_COMMAND', 'OF1.5+(13,9)', 'Invalid command.'],
  ['OFPTFFC_TOO_MANY', 'OF1.5+(13,10)', "Can't handle this many flow tables."],
  ['NXTFFC_DUP_TABLE', 'NX1.3+(44)', 'Table specified multiple times.'],
  [
    'OFPBPC_BAD_TYPE',
    'NX1.0-1.1(13,2) NX1.2(25) OF1.3(13,2) OF1.4+(14,0)',
    'Unknown or unsupported property type.',
  ],
  ['OFPBPC_BAD_LEN', 'NX1.0-1.1(13,3) NX1.2(26) OF1.3(13,3) OF1.4+(14,1)', 'Length problem in property.'],
  ['OFPBPC_BAD_VALUE', 'NX1.0-1.1(13,4) NX1.2(27) OF1.3(13,4) OF1.4+(14,2)', 'Unsupported property value.'],
  [
    'OFPBPC_TOO_MANY',
    'NX1.0-1.1(14,3) NX1.2(28) ONF1.3(4443) OF1.4+(14,3)',
    "Can't handle this many properties.",
  ],
  [
    'OFPBPC_DUP_TYPE',
    'NX1.0-1.1(14,4) NX1.2(29) ONF1.3(4444) OF1.4+(14,4)',
    'A property type was duplicated.',
  ],
  [
    'OFPBPC_BAD_EXPERIMENTER',
    'NX1.0-1.1(14,5) NX1.2(30) ONF1.3(4445) OF1.4+(14,5)',
    'Unknown experimenter id specified.',
  ],
  [
    'OFPBPC_BAD_EXP_TYPE',
    'NX1.0-1.1(14,6) NX1.2(31) ONF1.3(4446) OF1.4+(14,6)',
    'Unknown exp_type for experimenter id.',
  ],
  [
    'OFPBPC_BAD_EXP_VALUE',
    'NX1.0-1.1(14,7) NX1.2(32) ONF1.3(4447) OF1.4+(14,7)',
    'Unknown value for experimenter id.',
  ],
  ['OFPBPC_EPERM', 'NX1.0-1.1(14,8) NX1.2(33) ONF1.3(4448) OF1.4+(14,8)', 'Permissions error.'],
  ['OFPACFC_INVALID', 'ONF1.3(2370) OF1.4+(15,0)', 'One mask is invalid.'],
  ['OFPACFC_UNSUPPORTED', 'ONF1.3(2371) OF1.4+(15,1)', 'Requested configuration not supported.'],
  ['OFPACFC_EPERM', 'ONF1.3(2372) OF1.4+(15,2)', 'Permissions error.'],
  ['OFPBFC_UNKNOWN', 'ONF1.3(2300) OF1.4+(17,0)', 'Unspecified error.'],
  ['OFPBFC_EPERM', 'ONF1.3(2301) OF1.4+(17,1)', 'Permissions error.'],
  ['OFPBFC_BAD_ID', 'ONF1.3(2302) OF1.4+(17,2)', "Bundle ID doesn't exist."],
  ['OFPBFC_BUNDLE_EXIST', 'ONF1.3(2303) OF1.4+(17,3)', 'Bundle ID already exists.'],
  ['OFPBFC_BUNDLE_CLOSED', 'ONF1.3(2304) OF1.4+(17,4)', 'Bundle ID is closed.'],
  ['OFPBFC_OUT_OF_BUNDLES', 'ONF1.3(2305) OF1.4+(17,5)', 'Too many bundle IDs.'],
  ['OFPBFC_BAD_TYPE', 'ONF1.3(2306) OF1.4+(17,6)', 'Unsupported of unknown message control type.'],
  ['OFPBFC_BAD_FLAGS', 'ONF1.3(2307) OF1.4+(17,7)', 'Unsupported, unknown, or inconsistent flags.'],
  ['OFPBFC_MSG_BAD_LEN', 'ONF1.3(2308) OF1.4+(17,8)', 'Length problem in included message.'],
  ['OFPBFC_MSG_BAD_XID', 'ONF1.3(2309) OF1.4+(17,9)', 'Inconsistent or duplicate XID.'],
  ['OFPBFC_MSG_UNSUP', 'ONF1.3(2310) OF1.4+(17,10)', 'Unsupported message in this bundle.'],
  ['OFPBFC_MSG_CONFLICT', 'ONF1.3(2311) OF1.4+(17,11)', 'Unsupported message combination in this bundle.'],
  ['OFPBFC_MSG_TOO_MANY', 'ONF1.3(2312) OF1.4+(17,12)', 'Cant handle this many messages in bundle.'],
  ['OFPBFC_MSG_FAILED', 'ONF1.3(2313) OF1.4+(17,13)', 'One message in bundle failed.'],
  ['OFPBFC_TIMEOUT', 'ONF1.3(2314) OF1.4+(17,14)', 'Bundle is taking too long.'],
  ['OFPBFC_BUNDLE_IN_PROGRESS', 'ONF1.3(2315) OF1.4+(17,15)', 'Bundle is locking the resource.'],
  [
    'OFPBFC_SCHED_NOT_SUPPORTED',
    'OF1.5+(17,16)',
    'Scheduled commit was received and scheduling is not supported.',
  ],
  ['OFPBFC_SCHED_FUTURE', 'OF1.5+(17,17)', 'Scheduled commit time exceeds upper bound.'],
  ['OFPBFC_SCHED_PAST', 'OF1.5+(17,18)', 'Scheduled commit time exceeds lower bound.'],
  [
    'OFPBFC_BAD_VERSION',
    'NX1.4-1.5(22)',
    'In an OFPT_BUNDLE_ADD_MESSAGE, the OpenFlow version in the inner and outer messages differ.',
  ],
  ['OFPMOFC_UNKNOWN', 'OF1.4+(16,0)', 'Unspecified error.'],
  [
    'OFPMOFC_MONITOR_EXISTS',
    'NX1.0-1.1(1,517) NX1.2-1.3(6) OF1.4+(16,1)',
    'Monitor not added because a Monitor ADD attempted to replace an existing Monitor.',
  ],
  ['OFPMOFC_INVALID_MONITOR', 'OF1.4+(16,2)', 'Monitor not added because Monitor specified is invalid.'],
  [
    'OFPMOFC_UNKNOWN_MONITOR',
    'NX1.0-1.1(1,519) NX1.2-1.3(8) OF1.4+(16,3)',
    'Monitor not modified because a Monitor MODIFY attempted to modify a non-existent Monitor.',
  ],
  ['OFPMOFC_BAD_COMMAND', 'OF1.4+(16,4)', 'Unsupported or unknown command.'],
  ['OFPMOFC_BAD_FLAGS', 'NX1.0-1.1(1,518) NX1.2-1.3(7) OF1.4+(16,5)', 'Flag configuration unsupported.'],
  ['OFPMOFC_BAD_TABLE_ID', 'OF1.4+(16,6)', 'Specified table does not exist.'],
  ['OFPMOFC_BAD_OUT', 'OF1.4+(16,7)', 'Error in output port/group.'],
  [
    'NXTTMFC_BAD_COMMAND',
    'NX1.0-1.1(1,527) NX1.2+(16)',
    'The TLV table mod command is not recognized as a valid operation.',
  ],
  [
    'NXTTMFC_BAD_OPT_LEN',
    'NX1.0-1.1(1,528) NX1.2+(17)',
    'The option length is not a valid option size for TLVs.',
  ],
  [
    'NXTTMFC_BAD_FIELD_IDX',
    'NX1.0-1.1(1,529) NX1.2+(18)',
    'The field index is out of range for the supported NX_TUN_METADATA<n> match.',
  ],
  [
    'NXTTMFC_TABLE_FULL',
    'NX1.0-1.1(1,530) NX1.2+(19)',
    'The total set of configured options exceeds the maximum supported by the switch.',
  ],
  [
    'NXTTMFC_ALREADY_MAPPED',
    'NX1.0-1.1(1,531) NX1.2+(20)',
    'The controller issued an NXTTMC_ADD command for a field index that is already mapped.',
  ],
  [
    'NXTTMFC_DUP_ENTRY',
    'NX1.0-1.1(1,532) NX1.2+(21)',
    'The option TLV that is attempting to be mapped is the same as one assigned to a different field.',
  ],
  [
    'NXTTMFC_INVALID_TLV_DEL',
    'NX1.0-1.1(1,537) NX1.2+(38)',
    'Attempted to delete a TLV mapping that is used by any active flow.',
  ],
  ['NXR_NOT_SUPPORTED', 'NX1.0-1.1(1,533) NX1.2+(34)', "This datapath doesn't support NXT_RESUME."],
  [
    'NXR_STALE',
    'NX1.0-1.1(1,534) NX1.2+(35)',
    'Continuation is stale: Open vSwitch process has been restarted or bridge has been destroyed since continuation was generated, or continuation was not generated by this Open vSwitch instance.',
  ],
  [
    'NXST_NOT_CONFIGURED',
    'NX1.0-1.1(1,535) NX1.2+(36)',
    'Protocol is not configured on this Open vSwitch instance.',
  ],
] as const;

/** The name of an OpenFlow error as ovs-ofctl prints it (OFPBRC_BAD_LEN, OFPBAC_BAD_OUT_PORT, ...). */
export type OfpErrorName = (typeof ERRORS)[number][0];

/** Where an error sits on the wire in one OpenFlow version: vendor 0 is a standard error. */
export interface OfpErrorTriplet {
  vendor: number;
  type: number;
  code: number;
}

const VENDORS: Record<string, number> = {
  OF: OF_VENDOR_ID,
  NX: NX_VENDOR_ID,
  ONF: ONF_VENDOR_ID,
  HPL: HPL_VENDOR_ID,
};
const MAX_VERSION = 6;

interface ErrorInfo {
  description: string;
  /** Index = wire version (1..6). */
  triplets: (OfpErrorTriplet | undefined)[];
}

const INFO = new Map<string, ErrorInfo>();
/** Per version: "vendor/type/code" -> name (the first name listed wins, as in OVS). */
const BY_TRIPLET: Map<string, OfpErrorName>[] = [];

function tripletKey(vendor: number, type: number, code: number): string {
  return `${vendor >>> 0}/${type}/${code}`;
}

function parseVersion(text: string): number {
  const [major, minor] = text.split('.').map((p) => Number.parseInt(p, 10));
  if (major !== 1 || !(minor >= 0 && minor <= 5)) throw new Error(`bad OpenFlow version ${text}`);
  return minor + 1;
}

function buildTables(): void {
  for (let v = 0; v <= MAX_VERSION; v++) BY_TRIPLET.push(new Map());
  for (const [name, where, description] of ERRORS) {
    const triplets: (OfpErrorTriplet | undefined)[] = [];
    for (const spec of where.split(' ')) {
      const m = /^([A-Z]+)([0-9.]+)(\+|-[0-9.]+)?\((\d+)(?:,(\d+))?\)$/.exec(spec);
      if (!m) throw new Error(`bad error spec ${spec} for ${name}`);
      const vendor = VENDORS[m[1]];
      const v1 = parseVersion(m[2]);
      const v2 = m[3] === undefined ? v1 : m[3] === '+' ? MAX_VERSION : parseVersion(m[3].slice(1));
      const type = Number.parseInt(m[4], 10);
      const code = m[5] === undefined ? 0 : Number.parseInt(m[5], 10);
      for (let v = v1; v <= v2; v++) {
        triplets[v] = { vendor, type, code };
        const key = tripletKey(vendor, type, code);
        if (!BY_TRIPLET[v].has(key)) BY_TRIPLET[v].set(key, name);
      }
    }
    INFO.set(name, { description, triplets });
  }
}
buildTables();

/** Every error name, in Open vSwitch's order. */
export const OFP_ERROR_NAMES: readonly OfpErrorName[] = ERRORS.map((e) => e[0]);

/** True when `name` is a known OpenFlow error name. */
export function isOfpErrorName(name: string): name is OfpErrorName {
  return INFO.has(name);
}

/** OVS's one-line description of an error ("Wrong request length for type."). */
export function ofpErrorDescription(name: OfpErrorName): string {
  return INFO.get(name)?.description ?? '';
}

/** How `name` is encoded in OpenFlow `version` (1..6), or null if that version cannot express it. */
export function ofpErrorTriplet(name: OfpErrorName, version: number): OfpErrorTriplet | null {
  return INFO.get(name)?.triplets[version] ?? null;
}

/** The error name for a (vendor, type, code) received in `version`, or null when OVS would not know it. */
export function ofpErrorFromTriplet(
  version: number,
  vendor: number,
  type: number,
  code: number,
): OfpErrorName | null {
  if (version < 1 || version > MAX_VERSION) return null;
  return BY_TRIPLET[version].get(tripletKey(vendor, type, code)) ?? null;
}

/**
 * The one error the OpenFlow codec throws: `code` is the OpenFlow error to answer with (the decoder of a
 * malformed message says which, as Open vSwitch would), `message` says what was wrong in words.
 */
export class OfpError extends Error {
  readonly code: OfpErrorName;

  constructor(code: OfpErrorName, message?: string) {
    super(message ? `${code}: ${message}` : `${code}: ${ofpErrorDescription(code)}`);
    this.name = 'OfpError';
    this.code = code;
  }
}
