// .phantom.util.iterator: steps through a collection: while (it.hasNext()) x = it.next();
package .phantom.util;

interface iterator
{
    int hasNext();
    .internal.object next();
};
