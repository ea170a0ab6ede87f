// .internal.tcp (pvm.md §4.3.10).
package .internal;

class tcp
{
    string curl(var url : string, var headers : string) [24] {}
};
