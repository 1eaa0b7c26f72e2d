//! What the differential target accepts as known disagreements: the
//! checks mqttbytes 0.6 skips (each with the rule lastwill names), the
//! packets it cannot read, and a minimal input for each leniency.

/// (a) Errors of lastwill that mqttbytes 0.6 does not check, so it accepts
/// the packet: the variant name of [`DecodeError`] and why. Any other variant
/// on an input mqttbytes accepts fails the target: either a new leniency to
/// list here, or (b) lastwill rejecting what the spec allows.
pub const LENIENCIES: &[(&str, &str)] = &[
    // Known before fuzzing.
    (
        "InvalidFixedHeaderFlags",
        "reserved fixed-header flag bits are not checked",
    ),
    (
        "PublishTopicWildcard",
        "wildcards in a PUBLISH Topic Name are accepted",
    ),
    ("NullCharacter", "U+0000 in UTF-8 strings is accepted"),
    (
        "NonMinimalVarInt",
        "non-minimal Variable Byte Integers are accepted",
    ),
    (
        "TrailingBytes",
        "bytes after the last field of a packet are ignored",
    ),
    (
        "DuplicateProperty",
        "a property that may appear once is accepted twice",
    ),
    // Found by the differential target (README lists a minimal input each).
    (
        "PublishTopicEmpty",
        "an empty Topic Name without a Topic Alias is accepted",
    ),
    ("DupWithQos0", "DUP=1 on a QoS 0 PUBLISH is accepted"),
    (
        "ConnAckReservedFlags",
        "reserved CONNACK acknowledge flag bits are accepted",
    ),
    (
        "SessionPresentWithError",
        "Session Present with a refusal code is accepted",
    ),
    (
        "ZeroPacketId",
        "packet identifier 0 on SUBSCRIBE/UNSUBSCRIBE is accepted",
    ),
    (
        "SubscribeWithoutFilters",
        "a SUBSCRIBE without filters is accepted",
    ),
    (
        "UnsubscribeWithoutFilters",
        "an UNSUBSCRIBE without filters is accepted",
    ),
    ("TopicFilterEmpty", "an empty Topic Filter is accepted"),
    (
        "MultiLevelWildcardNotLast",
        "'#' not alone as the last level is accepted",
    ),
    (
        "SingleLevelWildcardNotAlone",
        "'+' not alone in its level is accepted",
    ),
    (
        "InvalidSharedSubscription",
        "a malformed $share filter is accepted",
    ),
    (
        "ReservedSubscriptionOptionBits",
        "reserved subscription option bits are accepted",
    ),
    (
        "InvalidPropertyValue",
        "Topic Alias 0 (and other out-of-range values) are accepted",
    ),
    (
        "PropertyLengthMismatch",
        "a Property Length that ends inside a property is accepted",
    ),
    // Reached because mqttbytes counts a Subscription Identifier's id byte
    // twice against the Property Length, so it stops reading properties early
    // and takes the rest as payload; lastwill reads the real rest.
    (
        "UnknownProperty",
        "undefined property identifiers are accepted, via the early stop",
    ),
    (
        "PropertyNotAllowed",
        "properties not allowed in the packet are accepted, via the early stop",
    ),
    (
        "VarIntTooLong",
        "a five-byte Variable Byte Integer is accepted, via the early stop",
    ),
    (
        "ReservedConnectFlag",
        "the reserved CONNECT flag bit 0 is accepted",
    ),
    (
        "ConnectPayloadTrailingBytes",
        "bytes after the last CONNECT payload field are ignored",
    ),
    ("WillTopicEmpty", "an empty Will Topic is accepted"),
    (
        "PasswordWithoutUsername",
        "a 3.1.1 password without a user name is accepted",
    ),
    (
        "WillTopicWildcard",
        "wildcards in a Will Topic are accepted",
    ),
    (
        "AuthenticationDataWithoutMethod",
        "Authentication Data without an Authentication Method is accepted",
    ),
    (
        "NoLocalOnSharedSubscription",
        "No Local 1 on a Shared Subscription is accepted",
    ),
    (
        "InvalidUtf8",
        "ill-formed UTF-8 in a 5.0 property string (e.g. Content Type) is accepted, via the early stop",
    ),
    (
        "ResponseTopicWildcard",
        "wildcards in a Response Topic are accepted, via the early stop",
    ),
    (
        "ResponseTopicEmpty",
        "an empty Response Topic is accepted, via the early stop",
    ),
];

/// mqttbytes errors on packets lastwill accepts, by lastwill packet kind and
/// mqttbytes error variant: packet types or short forms mqttbytes lacks.
pub const MQTTBYTES_GAPS: &[(&str, &str, &str)] = &[
    ("AUTH", "InvalidPacketType", "no AUTH packet in mqttbytes v5"),
    ("DISCONNECT", "PayloadRequired", "a DISCONNECT with Remaining Length 0 is refused"),
    ("DISCONNECT", "InsufficientBytes", "a 5.0 DISCONNECT with a reason code and no Property Length is refused (§3.14.2.2.1 allows it)"),
    ("CONNECT", "InvalidProtocolLevel", "a CONNECT is read only at the module's level, while lastwill reads each CONNECT at its own level"),
    ("CONNECT", "InvalidProtocol", "\"MQIsdp\" (3.1) CONNECT is refused"),
    ("CONNECT", "TopicNotUtf8", "a Password that is not UTF-8 is refused: mqttbytes reads the Password, which is Binary Data (§3.1.3.5 / §3.1.3.6), as a UTF-8 string"),
];

/// The smallest input found (hand-minimised) for each leniency in
/// [`LENIENCIES`]: lastwill error variant, connection version (3 = 3.1.1 with
/// `mqttbytes::v4`, 5 = 5.0 with `mqttbytes::v5`) and the bytes in hex. The
/// README's table is this list; the tests check each still classifies so.
pub const LENIENCY_EXAMPLES: &[(&str, u8, &str)] = &[
    ("InvalidFixedHeaderFlags", 3, "41020001"),
    ("PublishTopicWildcard", 3, "3003000123"),
    ("NullCharacter", 3, "3003000100"),
    ("NonMinimalVarInt", 3, "c08000"),
    ("TrailingBytes", 3, "4003000100"),
    ("DuplicateProperty", 5, "400a000100061f00001f0000"),
    ("PublishTopicEmpty", 3, "30020000"),
    ("DupWithQos0", 3, "3803000161"),
    ("ConnAckReservedFlags", 3, "20020200"),
    ("SessionPresentWithError", 3, "20020101"),
    ("ZeroPacketId", 3, "a2050000000161"),
    ("SubscribeWithoutFilters", 3, "82020001"),
    ("UnsubscribeWithoutFilters", 3, "a2020001"),
    ("TopicFilterEmpty", 3, "a20400010000"),
    ("MultiLevelWildcardNotLast", 3, "a20700010003232f61"),
    ("SingleLevelWildcardNotAlone", 3, "a20600010002612b"),
    (
        "InvalidSharedSubscription",
        5,
        "a20d00010000082473686172652f61",
    ),
    ("ReservedSubscriptionOptionBits", 3, "8206000100016104"),
    ("InvalidPropertyValue", 5, "300700016103230000"),
    ("PropertyLengthMismatch", 5, "300700016101230001"),
    ("UnknownProperty", 5, "3007000161030b017c"),
    ("PropertyNotAllowed", 5, "3007000161030b0111"),
    (
        "VarIntTooLong",
        5,
        "3016000161120b010b010b010b010b010b010bffffffff01",
    ),
    ("ResponseTopicEmpty", 5, "3009000161050b01080000"),
    ("ResponseTopicWildcard", 5, "300a000161060b0108000123"),
    ("ReservedConnectFlag", 3, "100c00044d515454040100000000"),
    (
        "ConnectPayloadTrailingBytes",
        3,
        "100d00044d51545404000000000000",
    ),
    ("WillTopicEmpty", 3, "101000044d51545404040000000000000000"),
    (
        "WillTopicWildcard",
        3,
        "101100044d5154540404000000000001230000",
    ),
    (
        "PasswordWithoutUsername",
        3,
        "100e00044d5154540440000000000000",
    ),
    ("AuthenticationDataWithoutMethod", 5, "2006000003160000"),
    (
        "NoLocalOnSharedSubscription",
        5,
        "8210000100000a2473686172652f672f7404",
    ),
    ("InvalidUtf8", 5, "30110001610c0b010b020b030b04030001ff78"),
];
