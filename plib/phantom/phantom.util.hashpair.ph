// .phantom.util.hashpair: one key/value entry of a hashmap bucket chain.
package .phantom.util;

class hashpair
{
    var key : .internal.object;
    var val : .internal.object;
    var next : hashpair;

    void setKey(var _key : .internal.object) { key = _key; }
    .internal.object getKey() { return key; }
    void setVal(var _val : .internal.object) { val = _val; }
    .internal.object getVal() { return val; }
    void setNext(var _next : hashpair) { next = _next; }
    hashpair getNext() { return next; }
};
